"""Creates the benchmark secret on an endpoint (Lockstep or moto) and prints the GetSecretValue response size."""
import json
import sys

import boto3

url, key, secret = sys.argv[1:4]
sm = boto3.client("secretsmanager", endpoint_url=url, region_name="us-east-1", aws_access_key_id=key,
                  aws_secret_access_key=secret)
value = json.dumps({"engine": "postgres", "host": "db.internal", "port": 5432, "username": "app",
                    "password": "x" * 32, "dbname": "app"})
sm.create_secret(Name="bench/db", SecretString=value)
response = sm.get_secret_value(SecretId="bench/db")
print(len(json.dumps({k: str(v) for k, v in response.items() if k != "ResponseMetadata"})))
