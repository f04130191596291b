"""Vocabulary of the synthetic world: locales, name pools, nicknames, email domains, phones.

Name and address pools come from Faker (the field-standard fake-data library), drawn once per
world with the world's seed so that Faker's own frequency weighting (common names are common)
carries into the world. The generator's nickname list is deliberately its own and larger than
the warehouse's `nickname_pairs` seed: the world must not be built from the matcher's knowledge.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from faker import Faker


@dataclass(frozen=True)
class Locale:
    code: str          # Faker locale
    country: str       # ISO-2
    weight: float      # share of the population
    calling_code: str
    mobile_prefix: str  # leading national digits of a valid mobile number (from phonenumbers' examples)
    mobile_digits: int  # random digits after the prefix
    trunk: str          # national trunk prefix ("" where none)
    currency: str
    exit_code: str      # international call prefix dialled from this country (00, 011, 002)
    email_domains: tuple[tuple[str, float], ...]


_COMMON_DOMAINS = (("gmail.com", 0.38), ("yahoo.com", 0.12), ("hotmail.com", 0.12), ("outlook.com", 0.1),
                   ("icloud.com", 0.08))

LOCALES: tuple[Locale, ...] = (
    Locale("en_US", "US", 0.32, "1", "2015", 6, "", "USD", "011", _COMMON_DOMAINS + (("aol.com", 0.05), ("comcast.net", 0.04))),
    Locale("en_GB", "GB", 0.18, "44", "7400", 6, "0", "GBP", "00", _COMMON_DOMAINS + (("btinternet.com", 0.06), ("sky.com", 0.04), ("googlemail.com", 0.03))),
    Locale("it_IT", "IT", 0.18, "39", "3123", 6, "", "EUR", "00", _COMMON_DOMAINS + (("libero.it", 0.12), ("virgilio.it", 0.06), ("tiscali.it", 0.03))),
    Locale("ro_RO", "RO", 0.1, "40", "712", 6, "0", "EUR", "00", _COMMON_DOMAINS + (("yahoo.ro", 0.1), ("gmail.ro", 0.0))),
    Locale("vi_VN", "VN", 0.08, "84", "912", 6, "0", "USD", "00", _COMMON_DOMAINS),
    Locale("zh_TW", "TW", 0.07, "886", "912", 6, "0", "USD", "002", _COMMON_DOMAINS + (("yahoo.com.tw", 0.1), ("hinet.net", 0.05))),
    Locale("de_DE", "DE", 0.07, "49", "1512", 7, "0", "EUR", "00", _COMMON_DOMAINS + (("web.de", 0.12), ("gmx.de", 0.12), ("t-online.de", 0.05))),
)

# Nicknames the people of the world actually use (canonical -> nicknames). Larger than the seed.
NICKNAMES: dict[str, tuple[str, ...]] = {
    "Robert": ("Bob", "Rob", "Bobby", "Robbie"), "William": ("Bill", "Will", "Billy", "Liam"),
    "Elizabeth": ("Liz", "Beth", "Betty", "Lizzie"), "Margaret": ("Maggie", "Peggy", "Meg"),
    "Katherine": ("Kate", "Katie", "Kathy"), "Catherine": ("Cathy", "Cate"), "Richard": ("Rick", "Dick", "Rich"),
    "James": ("Jim", "Jimmy", "Jamie"), "John": ("Jack", "Johnny"), "Michael": ("Mike", "Mikey"),
    "Jennifer": ("Jen", "Jenny"), "Christopher": ("Chris", "Topher"), "Alexander": ("Alex", "Xander"),
    "Anthony": ("Tony",), "Daniel": ("Dan", "Danny"), "Joseph": ("Joe", "Joey"), "Thomas": ("Tom", "Tommy"),
    "Patricia": ("Pat", "Patty", "Trish"), "Susan": ("Sue", "Susie"), "Deborah": ("Debbie", "Deb"),
    "Edward": ("Ed", "Eddie", "Ted"), "Charles": ("Charlie", "Chuck"), "Nicholas": ("Nick", "Nicky"),
    "Benjamin": ("Ben", "Benny"), "Samuel": ("Sam", "Sammy"), "Samantha": ("Sam", "Sammie"),
    "Victoria": ("Vicky", "Tori"), "Rebecca": ("Becky", "Becca"), "Jonathan": ("Jon", "Jonny"),
    "Matthew": ("Matt",), "Andrew": ("Andy", "Drew"), "Steven": ("Steve",), "Stephen": ("Steve",),
    "Timothy": ("Tim", "Timmy"), "Gregory": ("Greg",), "Jeffrey": ("Jeff",), "Kenneth": ("Ken", "Kenny"),
    "Ronald": ("Ron", "Ronnie"), "Donald": ("Don", "Donnie"), "Lawrence": ("Larry",), "Gerald": ("Jerry",),
    "Frederick": ("Fred", "Freddie"), "Albert": ("Al", "Bert"), "Harold": ("Harry",), "Henry": ("Hank", "Harry"),
    "Barbara": ("Barb", "Babs"), "Jessica": ("Jess", "Jessie"), "Kimberly": ("Kim",), "Cynthia": ("Cindy",),
    "Pamela": ("Pam",), "Christine": ("Chris", "Tina"), "Theresa": ("Terry", "Tess"), "Abigail": ("Abby",),
    "Zachary": ("Zach",), "Nathaniel": ("Nate", "Nathan"), "Joshua": ("Josh",), "Jacob": ("Jake",),
    "Giuseppe": ("Beppe", "Peppe", "Pino"), "Giovanni": ("Gianni", "Nanni"), "Francesco": ("Franco", "Cecco"),
    "Alessandro": ("Sandro", "Ale"), "Antonio": ("Toni", "Totò"), "Salvatore": ("Totò", "Turi"),
    "Vincenzo": ("Enzo",), "Roberto": ("Berto",), "Domenico": ("Mimmo",), "Massimiliano": ("Max",),
    "Caterina": ("Rina",), "Giuseppina": ("Pina",), "Francesca": ("Franca",), "Alessandra": ("Sandra",),
    "Elisabetta": ("Betta",), "Raffaele": ("Lello",), "Gabriele": ("Lele",), "Emanuele": ("Manu",),
    "Alexandru": ("Alex", "Sandu"), "Gheorghe": ("Gigi", "George"), "Constantin": ("Costel", "Costi"),
    "Mihai": ("Mihăiță",), "Ștefan": ("Fane",), "Nicolae": ("Nicu",), "Ioana": ("Ioanița",), "Elena": ("Lena",),
    "Ecaterina": ("Cati",), "Vasile": ("Vasilică",), "Dumitru": ("Mitică",),
    "Wolfgang": ("Wolf",), "Johannes": ("Hannes", "Jo"), "Katharina": ("Kathi", "Kati"), "Friedrich": ("Fritz",),
}

JUNK_EMAILS = ("test@test.com", "test@example.com", "noemail@noemail.com", "none@none.com", "a@a.com",
               "no@email.com", "asdf@asdf.com")
JUNK_PHONES = ("000000", "0000000000", "1234567890", "999999999", "n/a")
JUNK_NAMES = (("Test", "Test"), ("n/a", "n/a"), ("Unknown", "Customer"), ("xxx", "xxx"), ("Test", "User"))

CATEGORIES = ("apparel", "footwear", "accessories", "home", "beauty", "electronics", "outdoor", "kids")


class Pools:
    """Per-locale arrays of names and addresses drawn from Faker with the world's seed."""

    def __init__(self, seed: int, size: int = 1000) -> None:
        self.first_f: list[np.ndarray] = []
        self.first_m: list[np.ndarray] = []
        self.last: list[np.ndarray] = []
        self.street: list[np.ndarray] = []
        self.city: list[np.ndarray] = []
        self.postcode: list[np.ndarray] = []
        self.company: list[np.ndarray] = []
        for i, loc in enumerate(LOCALES):
            fake = Faker(loc.code)
            fake.seed_instance(seed * 1009 + i)
            for provider in fake.get_providers():
                # Faker's it_IT address provider builds `cities` from a set, so its order (and the
                # cities drawn) changes with Python's hash seed: sort it to keep worlds reproducible.
                if isinstance(getattr(provider, "cities", None), list):
                    provider.cities = sorted(provider.cities)
            self.first_f.append(np.array([fake.first_name_female() for _ in range(size)], dtype=object))
            self.first_m.append(np.array([fake.first_name_male() for _ in range(size)], dtype=object))
            self.last.append(np.array([fake.last_name() for _ in range(size)], dtype=object))
            self.street.append(np.array([fake.street_address().replace("\n", " ") for _ in range(size * 3)], dtype=object))
            self.city.append(np.array([fake.city() for _ in range(size)], dtype=object))
            self.postcode.append(np.array([fake.postcode() for _ in range(size * 3)], dtype=object))
            self.company.append(np.array([fake.company() for _ in range(size // 5)], dtype=object))
