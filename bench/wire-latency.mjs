// Request latencies read off a packet capture, to check what a load generator reports.
// For each TCP connection to PORT: from the request's first data packet to the response's last one,
// one request at a time per connection (no pipelining, as the benches run).
//
//   tcpdump -i lo -s 96 -w /tmp/cap.pcap 'tcp port PORT and tcp[tcpflags] & tcp-push != 0' &
//   … run the load …
//   tshark -r /tmp/cap.pcap -T fields -e tcp.stream -e frame.time_epoch -e tcp.srcport -e tcp.len > /tmp/cap.tsv
//   node bench/wire-latency.mjs /tmp/cap.tsv PORT
import { readFileSync } from 'node:fs';

const [file, port] = process.argv.slice(2);
if (!file || !port) throw new Error('usage: node bench/wire-latency.mjs <tshark fields file> <server port>');

const requestAt = new Map(); // connection → first packet time of its open request
const lastResponse = new Map(); // connection → last response packet time of its open request
const ms = [];
for (const line of readFileSync(file, 'utf8').split('\n')) {
  const [stream, time, srcPort, len] = line.split('\t');
  if (!len || Number(len) === 0) continue;
  const t = Number(time) * 1000;
  if (srcPort === port) {
    if (requestAt.has(stream)) lastResponse.set(stream, t);
  } else {
    // A client packet after a response closes the previous request and opens the next.
    if (lastResponse.has(stream)) {
      ms.push(lastResponse.get(stream) - requestAt.get(stream));
      lastResponse.delete(stream);
      requestAt.delete(stream);
    }
    if (!requestAt.has(stream)) requestAt.set(stream, t);
  }
}
for (const [stream, t] of lastResponse) ms.push(t - requestAt.get(stream));
ms.sort((a, b) => a - b);
const p = (q) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))].toFixed(2);
console.log(`requests ${ms.length}: p50 ${p(0.5)} p90 ${p(0.9)} p99 ${p(0.99)} p99.9 ${p(0.999)} max ${ms.at(-1).toFixed(2)} ms`);
