"""The emulator driven by simple-salesforce (PyPI), a client nobody on this project wrote."""
import csv
import io
import json
from datetime import datetime, timedelta, timezone

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest, SalesforceResourceNotFound

from conftest import ACCOUNTS, CONTACTS


def test_query_pages_and_query_all(sf):
    first = sf.query('SELECT Id, Email FROM Contact ORDER BY Id')
    assert first['totalSize'] == CONTACTS
    assert first['done'] is False
    assert len(first['records']) == 2000
    second = sf.query_more(first['nextRecordsUrl'], identifier_is_url=True)
    assert second['done'] is True
    assert len(second['records']) == CONTACTS - 2000
    ids = [r['Id'] for r in first['records'] + second['records']]
    assert len(set(ids)) == CONTACTS

    everything = sf.query_all('SELECT Id FROM Contact')
    assert everything['totalSize'] == CONTACTS
    assert len(everything['records']) == CONTACTS
    assert sum(1 for _ in sf.query_all_iter('SELECT Id FROM Account')) == ACCOUNTS


def test_query_all_includes_deleted_records(sf):
    doomed = sf.Account.create({'Name': 'Deleted For queryAll'})['id']
    sf.Account.delete(doomed)
    live = sf.query(f"SELECT Id FROM Account WHERE Id = '{doomed}'")
    assert live['totalSize'] == 0
    with_deleted = sf.query_all(f"SELECT Id, IsDeleted FROM Account WHERE Id = '{doomed}'", include_deleted=True)
    assert with_deleted['records'][0]['IsDeleted'] is True


def test_crud(sf):
    created = sf.Contact.create({'LastName': 'Python', 'FirstName': 'Simple', 'Email': 'simple.python@example.com'})
    assert created['success'] is True and created['errors'] == []
    contact_id = created['id']
    assert contact_id.startswith('003') and len(contact_id) == 18

    read = sf.Contact.get(contact_id)
    assert read['attributes'] == {'type': 'Contact', 'url': f'/services/data/v62.0/sobjects/Contact/{contact_id}'}
    assert read['Email'] == 'simple.python@example.com'
    assert read['Name'] == 'Simple Python'

    assert sf.Contact.update(contact_id, {'Title': 'Tester'}) == 204
    assert sf.Contact.get(contact_id)['Title'] == 'Tester'

    with pytest.raises(SalesforceMalformedRequest) as refused:
        sf.Contact.update(contact_id, {'Email': 'not an email'})
    assert refused.value.content[0]['errorCode'] == 'INVALID_EMAIL_ADDRESS'

    assert sf.Contact.delete(contact_id) == 204
    with pytest.raises(SalesforceResourceNotFound) as gone:
        sf.Contact.get(contact_id)
    assert gone.value.content[0]['errorCode'] == 'ENTITY_IS_DELETED'


def test_upsert_by_external_id(sf):
    assert sf.Contact.upsert('Journy_User_Id__c/u-python-1', {'LastName': 'Upserted', 'Email': 'upserted@example.com'}) == 201
    assert sf.Contact.upsert('Journy_User_Id__c/u-python-1', {'LastName': 'Upserted Again'}) == 200
    found = sf.Contact.get_by_custom_id('Journy_User_Id__c', 'u-python-1')
    assert found['LastName'] == 'Upserted Again'
    assert sf.query("SELECT COUNT() FROM Contact WHERE Journy_User_Id__c = 'u-python-1'")['totalSize'] == 1


def test_collections_with_a_failed_record(sf):
    results = sf.restful('composite/sobjects', method='POST', data=json.dumps({
        'allOrNone': False,
        'records': [
            {'attributes': {'type': 'Account'}, 'Name': 'Collections One'},
            {'attributes': {'type': 'Contact'}, 'FirstName': 'No Last Name'},
            {'attributes': {'type': 'Contact'}, 'LastName': 'Collections Two'},
        ],
    }))
    assert [r['success'] for r in results] == [True, False, True]
    assert 'id' not in results[1]
    assert results[1]['errors'][0]['statusCode'] == 'REQUIRED_FIELD_MISSING'
    fetched = sf.restful('composite/sobjects/Account', params={'ids': results[0]['id'], 'fields': 'Id,Name'})
    assert fetched[0]['Name'] == 'Collections One'


def test_updated_and_deleted(sf):
    start = datetime.now(timezone.utc) - timedelta(minutes=5)
    kept = sf.Account.create({'Name': 'Replicated Co'})['id']
    doomed = sf.Account.create({'Name': 'Deleted Co'})['id']
    sf.Account.delete(doomed)
    end = datetime.now(timezone.utc) + timedelta(minutes=1)

    updated = sf.Account.updated(start, end)
    assert kept in updated['ids']
    assert doomed not in updated['ids']
    assert updated['latestDateCovered'].endswith(':00.000+0000')

    deleted = sf.Account.deleted(start, end)
    assert doomed in [r['id'] for r in deleted['deletedRecords']]
    assert kept not in [r['id'] for r in deleted['deletedRecords']]
    assert 'earliestDateAvailable' in deleted


def test_is_sandbox_and_the_organization(sf):
    assert sf.is_sandbox() is False
    org = sf.query('SELECT Id, Name, OrganizationType, InstanceName FROM Organization')['records'][0]
    assert org['Id'].startswith('00D')
    assert org['OrganizationType'] == 'Enterprise Edition'


def test_bulk2_query_over_several_pages(sf):
    expected = sf.query('SELECT COUNT() FROM Contact')['totalSize']
    assert expected > 2000
    pages = list(sf.bulk2.Contact.query('SELECT Id, Email FROM Contact', max_records=1000, wait=0.1))
    assert len(pages) == 3
    rows = []
    for page in pages:
        reader = list(csv.reader(io.StringIO(page)))
        assert reader[0] == ['Id', 'Email']
        rows.extend(reader[1:])
    assert len(rows) == expected
    assert len({row[0] for row in rows}) == expected


def test_bulk2_upsert_with_failed_rows(sf, tmp_path):
    source = tmp_path / 'contacts.csv'
    source.write_text(
        'Journy_User_Id__c,LastName,Email\n'
        'u-bulk-1,Bulk One,bulk.one@example.com\n'
        'u-bulk-2,Bulk Two,not-an-email\n'
        'u-bulk-3,,bulk.three@example.com\n'
        'u-bulk-4,Bulk Four,bulk.four@example.com\n'
    )
    [result] = sf.bulk2.Contact.upsert(csv_file=str(source), external_id_field='Journy_User_Id__c', wait=0.1)
    assert result['numberRecordsProcessed'] == 4
    assert result['numberRecordsFailed'] == 2

    failed = list(csv.DictReader(io.StringIO(sf.bulk2.Contact.get_failed_records(result['job_id']))))
    assert sorted(r['Journy_User_Id__c'] for r in failed) == ['u-bulk-2', 'u-bulk-3']
    errors = {r['Journy_User_Id__c']: r['sf__Error'] for r in failed}
    assert errors['u-bulk-2'].startswith('INVALID_EMAIL_ADDRESS:')
    assert errors['u-bulk-3'].startswith('REQUIRED_FIELD_MISSING:')

    succeeded = list(csv.DictReader(io.StringIO(sf.bulk2.Contact.get_successful_records(result['job_id']))))
    assert sorted(r['Journy_User_Id__c'] for r in succeeded) == ['u-bulk-1', 'u-bulk-4']
    assert all(r['sf__Created'] == 'true' for r in succeeded)

    # The same file again: the two good rows update, nothing is created twice.
    [again] = sf.bulk2.Contact.upsert(csv_file=str(source), external_id_field='Journy_User_Id__c', wait=0.1)
    assert again['numberRecordsFailed'] == 2
    assert sf.query("SELECT COUNT() FROM Contact WHERE Journy_User_Id__c IN ('u-bulk-1', 'u-bulk-4')")['totalSize'] == 2
