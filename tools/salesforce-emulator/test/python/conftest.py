"""Starts the built emulator over HTTPS (simple-salesforce only speaks https) with a generated org, and signs in."""
import json
import subprocess
import tempfile
from pathlib import Path

import pytest
import requests
from simple_salesforce import Salesforce

ROOT = Path(__file__).resolve().parents[4]
CLI = ROOT / 'dist' / 'tools' / 'salesforce-emulator' / 'src' / 'cli.js'
CLIENT_ID = '3MVG9emulator.journy.connector.client'
CLIENT_SECRET = 'emulator-client-secret'
API_VERSION = '62.0'

ACCOUNTS = 30
CONTACTS = 2600


@pytest.fixture(scope='session')
def emulator():
    if not CLI.exists():
        pytest.fail(f'{CLI} is missing: run `npm run build` first')
    ca = Path(tempfile.mkdtemp()) / 'emulator.pem'
    args = ['node', str(CLI), '--port', '0', '--tls', '--tls-cert-out', str(ca), '--bulk-delay-ms', '30',
            '--accounts', str(ACCOUNTS), '--contacts', str(CONTACTS), '--relationships', '0']
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        if not line:
            pytest.fail(f'the emulator did not start: {process.stderr.read()}')
        yield {'url': json.loads(line)['url'], 'ca': str(ca)}
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope='session')
def session(emulator):
    http = requests.Session()
    http.trust_env = False  # else REQUESTS_CA_BUNDLE would win over the emulator's certificate
    http.verify = emulator['ca']
    return http


@pytest.fixture(scope='session')
def sf(emulator, session):
    """simple-salesforce signed in with a token from the password grant (its own login is SOAP, not emulated)."""
    token = session.post(f"{emulator['url']}/services/oauth2/token", data={
        'grant_type': 'password', 'client_id': CLIENT_ID, 'client_secret': CLIENT_SECRET,
        'username': 'integration@journy-demo.example', 'password': 'emulator-password',
    }, timeout=10).json()
    return Salesforce(instance_url=token['instance_url'], session_id=token['access_token'], version=API_VERSION, session=session)


@pytest.fixture
def admin(emulator, session):
    def call(path, body=None):
        response = session.post(f"{emulator['url']}/__emulator/{path}", json=body or {}, timeout=10)
        response.raise_for_status()
        return response.json()
    return call
