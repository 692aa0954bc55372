/**
 * `credbroker <command>`. `credential-process` and `exec` are HTTP clients of
 * a running broker: they are dispatched first and load nothing of the server
 * (no configuration, no database, no Nest), so they start fast. Everything
 * else is the operator CLI (admin.ts).
 */
const argv = process.argv.slice(2);
const cmd = argv[0];

if (cmd === 'credential-process' || cmd === 'exec') {
  const { runCredentialCommand } = await import('./credential-process.js');
  const code = await runCredentialCommand(cmd, argv.slice(1));
  // Exit once stdout has been handed over (a pipe to the AWS CLI may still be draining).
  process.stdout.write('', () => process.exit(code));
} else if (cmd === 'audit') {
  const { runAuditCli } = await import('./audit.js');
  const code = await runAuditCli(argv.slice(1));
  process.stdout.write('', () => process.exit(code));
} else {
  const { runAdminCli } = await import('./admin.js');
  await runAdminCli(argv);
}

export {};
