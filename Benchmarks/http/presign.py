"""Writes a wrk Lua script that replays one SigV4-signed GetSecretValue request (valid for 5 minutes)."""
import json
import sys

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

url, key, secret, secret_id, out = sys.argv[1:6]
body = json.dumps({"SecretId": secret_id})
request = AWSRequest(method="POST", url=url + "/", data=body, headers={
    "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "secretsmanager.GetSecretValue"})
SigV4Auth(Credentials(key, secret), "secretsmanager", "us-east-1").add_auth(request)
with open(out, "w") as f:
    f.write('wrk.method = "POST"\n')
    f.write(f"wrk.body = {json.dumps(body)}\n")
    for name, value in request.headers.items():
        f.write(f"wrk.headers[{json.dumps(name)}] = {json.dumps(value)}\n")
