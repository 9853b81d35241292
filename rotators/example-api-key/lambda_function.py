"""Rotates an API key: an AWS Secrets Manager rotation function, as it would run on AWS Lambda.

The secret's JSON names the client and the API service's key registry:

    {"client_id": "billing", "api_key": "<the key>", "keys_file": "/var/lib/api/keys.json"}

The "API service" is a JSON file mapping each client to the keys it accepts ({"billing": ["<key>", ...]}), so the
example runs anywhere; a real one would call the service's admin API in set_secret and test_secret instead. Under
Lockstep the boto3 client reaches the server through SECRETS_MANAGER_ENDPOINT; on AWS Lambda the same code runs
with that variable unset (boto3 then uses AWS's regional endpoint).
"""
import json
import logging
import os
import tempfile

import boto3

logger = logging.getLogger()
logger.setLevel(logging.INFO)


def lambda_handler(event, context):
    """Secrets Manager rotation: createSecret, setSecret, testSecret, finishSecret (AWS's four-step template)."""
    arn = event['SecretId']
    token = event['ClientRequestToken']
    step = event['Step']

    service_client = boto3.client('secretsmanager', endpoint_url=os.environ.get('SECRETS_MANAGER_ENDPOINT'))

    # Make sure the version is staged correctly.
    metadata = service_client.describe_secret(SecretId=arn)
    if not metadata.get('RotationEnabled'):
        raise ValueError("Secret %s is not enabled for rotation" % arn)
    versions = metadata['VersionIdsToStages']
    if token not in versions:
        raise ValueError("Secret version %s has no stage for rotation of secret %s." % (token, arn))
    if "AWSCURRENT" in versions[token]:
        logger.info("Secret version %s already set as AWSCURRENT for secret %s." % (token, arn))
        return
    elif "AWSPENDING" not in versions[token]:
        raise ValueError("Secret version %s not set as AWSPENDING for rotation of secret %s." % (token, arn))

    if step == "createSecret":
        create_secret(service_client, arn, token)
    elif step == "setSecret":
        set_secret(service_client, arn, token)
    elif step == "testSecret":
        test_secret(service_client, arn, token)
    elif step == "finishSecret":
        finish_secret(service_client, arn, token)
    else:
        raise ValueError("Invalid step parameter %s" % step)


def create_secret(service_client, arn, token):
    """Generates a new key into the AWSPENDING version, unless this token already has one (a retried step)."""
    current = get_secret(service_client, arn, "AWSCURRENT")
    try:
        get_secret(service_client, arn, "AWSPENDING", token)
        logger.info("createSecret: Successfully retrieved secret for %s." % arn)
    except service_client.exceptions.ResourceNotFoundException:
        current['api_key'] = service_client.get_random_password(PasswordLength=40, ExcludePunctuation=True)['RandomPassword']
        service_client.put_secret_value(SecretId=arn, ClientRequestToken=token, SecretString=json.dumps(current),
                                        VersionStages=['AWSPENDING'])
        logger.info("createSecret: Successfully put secret for ARN %s and version %s." % (arn, token))


def set_secret(service_client, arn, token):
    """Registers the pending key with the API service, next to the current one (both work until the next rotation)."""
    pending = get_secret(service_client, arn, "AWSPENDING", token)
    current = get_secret(service_client, arn, "AWSCURRENT")
    if pending['client_id'] != current['client_id'] or pending['keys_file'] != current['keys_file']:
        raise ValueError("setSecret: the pending secret names another client or keys file than the current one")
    registry = read_registry(pending['keys_file'])
    registry[pending['client_id']] = [key for key in [current['api_key'], pending['api_key']] if key]
    write_registry(pending['keys_file'], registry)
    logger.info("setSecret: Successfully registered the pending key of client %s." % pending['client_id'])


def test_secret(service_client, arn, token):
    """Checks that the API service accepts the pending key."""
    pending = get_secret(service_client, arn, "AWSPENDING", token)
    if pending['api_key'] not in read_registry(pending['keys_file']).get(pending['client_id'], []):
        raise ValueError("testSecret: the API service does not accept the pending key of client %s" % pending['client_id'])
    logger.info("testSecret: The API service accepts the pending key of client %s." % pending['client_id'])


def finish_secret(service_client, arn, token):
    """Moves AWSCURRENT to the new version (AWSPREVIOUS follows the old one)."""
    metadata = service_client.describe_secret(SecretId=arn)
    current_version = None
    for version, stages in metadata["VersionIdsToStages"].items():
        if "AWSCURRENT" in stages:
            if version == token:
                logger.info("finishSecret: Version %s already marked as AWSCURRENT for %s" % (version, arn))
                return
            current_version = version
            break
    service_client.update_secret_version_stage(SecretId=arn, VersionStage="AWSCURRENT", MoveToVersionId=token,
                                               RemoveFromVersionId=current_version)
    logger.info("finishSecret: Successfully set AWSCURRENT stage to version %s for secret %s." % (token, arn))


def get_secret(service_client, arn, stage, token=None):
    """The secret's JSON at a stage (and version), checked for the keys this rotator needs."""
    if token:
        response = service_client.get_secret_value(SecretId=arn, VersionId=token, VersionStage=stage)
    else:
        response = service_client.get_secret_value(SecretId=arn, VersionStage=stage)
    secret = json.loads(response['SecretString'])
    for key in ('client_id', 'api_key', 'keys_file'):
        if key not in secret:
            raise KeyError("%s key is missing from secret JSON" % key)
    return secret


def read_registry(path):
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        return {}


def write_registry(path, registry):
    """Replaces the registry atomically, so the service never reads half a file."""
    directory = os.path.dirname(os.path.abspath(path))
    with tempfile.NamedTemporaryFile('w', dir=directory, delete=False) as f:
        json.dump(registry, f, indent=2)
        temporary = f.name
    os.replace(temporary, path)
