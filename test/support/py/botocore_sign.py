"""Signs and sends one request with botocore's SigV4 signer (the AWS CLI's own).

Usage: botocore_sign.py METHOD URL SERVICE REGION [BODY_JSON]
Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (/ AWS_SESSION_TOKEN).
Prints the HTTP status on the first line and the response body after it.
"""
import os
import sys
import urllib.error
import urllib.request

from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def main() -> None:
    method, url, service, region = sys.argv[1:5]
    body = sys.argv[5] if len(sys.argv) > 5 else None
    creds = Credentials(os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"], os.environ.get("AWS_SESSION_TOKEN"))
    headers = {"content-type": "application/json"} if body is not None else {}
    req = AWSRequest(method=method, url=url, data=body, headers=headers)
    if os.environ.get("PRESIGN"):
        SigV4QueryAuth(creds, service, region, expires=300).add_auth(req)
    else:
        SigV4Auth(creds, service, region).add_auth(req)
    prepared = req.prepare()
    r = urllib.request.Request(prepared.url, data=(prepared.body.encode() if isinstance(prepared.body, str) else prepared.body) if body is not None else None, method=method, headers=dict(prepared.headers))
    try:
        with urllib.request.urlopen(r, timeout=10) as resp:
            print(resp.status)
            print(resp.read().decode())
    except urllib.error.HTTPError as e:
        print(e.code)
        print(e.read().decode())


if __name__ == "__main__":
    main()
