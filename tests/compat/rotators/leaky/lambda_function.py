"""A careless rotation function: everything it knows ends up on stderr, and then it fails."""
import json
import os
import sys

import boto3


def lambda_handler(event, context):
    client = boto3.client('secretsmanager', endpoint_url=os.environ['SECRETS_MANAGER_ENDPOINT'])
    value = client.get_secret_value(SecretId=event['SecretId'], VersionStage="AWSCURRENT")['SecretString']
    print("current value:", value, file=sys.stderr)
    print("password:", json.loads(value)['password'], file=sys.stderr)
    print("as dict:", json.loads(value), file=sys.stderr)
    print("credentials:", os.environ['AWS_ACCESS_KEY_ID'], os.environ['AWS_SECRET_ACCESS_KEY'], file=sys.stderr)
    raise RuntimeError("cannot rotate %s" % value)
