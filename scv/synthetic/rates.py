"""The hard cases of the synthetic world and the rate at which each occurs.

Every imperfection applied to an identity-bearing record is tagged on that record's truth row
(`_truth/records.parquet`, column `hard_cases`), so the rates below can be checked on any
generated world (the pytest suite does) and evaluation can slice accuracy by hard case.

Rates are per identity-bearing record unless the comment says otherwise.
"""

from __future__ import annotations

HARD_CASE_RATES: dict[str, float] = {
    # names
    "typo": 0.03,                 # one keyboard edit (substitution, deletion, insertion, transposition) in a name
    "nickname": 0.06,             # first name written as a nickname, where the person's name has one
    "swapped_names": 0.01,        # first and last name swapped
    "ascii_folded": 0.5,          # of records in ASCII-only systems (loyalty, POS tills, help desk) whose name has diacritics
    # emails
    "email_case_whitespace": 0.05,  # upper case letters and/or surrounding spaces
    "email_dots": 0.15,           # of gmail/googlemail addresses: dots moved in the local part
    "email_plus_tag": 0.03,       # local part with a +tag
    "email_domain_typo": 0.01,    # gmial.com, hotmial.com, ...
    # malformed values
    "malformed_email": 0.01,      # no @, double @, trailing dot, spaces inside
    "malformed_phone": 0.01,      # letters, too short, "call me"
    "malformed_birth_date": 0.03,  # of birth dates: impossible dates, "unknown", 1900 defaults
    # people and lives (per person)
    "twin": 0.01,                 # person has a twin: same surname, birth date, address and often phone
    "household_shared_email": 0.3,  # of multi-person households: one email used by several members
    "married_name_change": 0.06,  # of women aged 25-55: new surname from a date during the world
    "moved": 0.1,                 # new address from a date during the world
    "changed_email": 0.08,        # new email address from a date during the world
    # source behaviour
    "guest_checkout": 0.1,        # of shop orders by account holders: placed without logging in
    "crm_duplicate": 0.06,        # of CRM contacts: a second contact for the same person
    "crm_merged": 0.5,            # of CRM duplicates: merged by the CRM itself (merged_into_contact_id)
    "crm_soft_deleted": 0.02,     # of CRM contacts
    "second_shop_account": 0.02,  # of shop account holders: a second account with another email
    "junk_record": 0.004,         # of identity tables' rows: staff test records (test@test.com, 000000, "n/a")
    "duplicate_redelivery": 0.003,  # of every table's rows: the identical row delivered again
    "conflicting_duplicate_key": 0.001,  # of every table's rows: a different row re-using an existing key
    "superseded_version": 0.05,   # of CRM contacts and shop customers: an older version of the row also delivered
    "consent_missing_proof": 0.02,  # of consent grants: collection_point or notice_version missing
}

# Tags that describe the person (they apply to every record of that person).
PERSON_TAGS = ("twin", "household_shared_email", "married_name_change", "moved", "changed_email")

# How phone numbers are written (per record); every format but E.164 is tagged phone_format_<kind>.
PHONE_FORMAT_WEIGHTS: dict[str, float] = {
    "e164": 0.3,           # +393123456789
    "international": 0.25,  # +39 312 345 6789
    "double_zero": 0.1,    # 0039 3123456789
    "national": 0.35,      # 0312 345 6789 / (201) 555-0123
}

# Birth dates as text (sources that carry one); US records write month first.
DATE_FORMAT_WEIGHTS: dict[str, float] = {
    "%Y-%m-%d": 0.4, "slash": 0.3, "%d.%m.%Y": 0.1, "%Y%m%d": 0.1, "%B %d, %Y": 0.1,
}

HARD_CASE_RATES["name_case"] = 0.05  # name in all caps or all lower case
