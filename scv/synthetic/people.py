"""People and households: the ground truth every source system observes imperfectly."""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from unidecode import unidecode

from .rates import HARD_CASE_RATES as R
from .vocab import LOCALES, Pools


@dataclass(slots=True)
class Address:
    street: str
    city: str
    postcode: str


@dataclass(slots=True)
class Person:
    person_id: str
    loc: int
    sex: str
    first_name: str
    last_name: str
    birth_date: date
    household_id: str
    address: Address
    email: str
    phone_nsn: str              # national significant number
    tags: set[str] = field(default_factory=set)
    twin_of: str | None = None
    new_last_name: str | None = None
    name_change_at: datetime | None = None
    new_address: Address | None = None
    moved_at: datetime | None = None
    new_email: str | None = None
    email_change_at: datetime | None = None
    shared_email: str | None = None   # a household email this person also uses
    # buy-till-you-die truth (weekly purchase rate, dropout probability per purchase, mean spend)
    purchase_rate: float = 0.0
    dropout_p: float = 0.0
    mean_spend: float = 0.0

    @property
    def locale(self):
        return LOCALES[self.loc]

    def last_name_at(self, t: datetime) -> str:
        if self.new_last_name and self.name_change_at and t >= self.name_change_at:
            return self.new_last_name
        return self.last_name

    def address_at(self, t: datetime) -> Address:
        if self.new_address and self.moved_at and t >= self.moved_at:
            return self.new_address
        return self.address

    def email_at(self, t: datetime) -> str:
        if self.new_email and self.email_change_at and t >= self.email_change_at:
            return self.new_email
        return self.email


def random_time(rng: random.Random, start: datetime, end: datetime) -> datetime:
    span = (end - start).total_seconds()
    return start + timedelta(seconds=int(rng.random() * span))


class EmailRegistry:
    """Hands out email addresses that no other person of the world holds (mailboxes are personal).

    Chunks are generated in parallel without talking to each other, so uniqueness is built in:
    an address is *owned* by the chunk its hash points to; any other chunk appends a number whose
    remainder modulo the chunk count is its own chunk index, so two chunks can never produce the
    same address (the number follows a dot, which a natural address never puts before digits, so
    it cannot meet another chunk's natural address either), and a set catches repeats within the chunk.
    """

    def __init__(self, chunk_index: int, n_chunks: int) -> None:
        self.chunk_index = chunk_index
        self.n_chunks = max(1, n_chunks)
        self.taken: set[str] = set()

    @staticmethod
    def _mailbox(address: str) -> str:
        """The mailbox an address reaches: Gmail ignores dots, so a.b@gmail.com is ab@gmail.com."""
        local, _, domain = address.partition("@")
        if domain in ("gmail.com", "googlemail.com"):
            return local.replace(".", "") + "@gmail.com"
        return address

    def _owned(self, address: str) -> bool:
        return zlib.crc32(self._mailbox(address).encode()) % self.n_chunks == self.chunk_index

    def claim(self, rng: random.Random, local: str, domain: str) -> str:
        address = f"{local}@{domain}"
        if self._mailbox(address) not in self.taken and self._owned(address):
            self.taken.add(self._mailbox(address))
            return address
        bare = local.rstrip("0123456789") or local
        while True:
            suffix = rng.randint(1, 99) * self.n_chunks + self.chunk_index
            address = f"{bare}.{suffix}@{domain}"
            if self._mailbox(address) not in self.taken:
                self.taken.add(self._mailbox(address))
                return address


def make_email(rng: random.Random, first: str, last: str, loc: int, registry: EmailRegistry) -> str:
    f = unidecode(first).lower().replace(" ", "").replace("'", "") or "x"
    lname = unidecode(last).lower().replace(" ", "").replace("'", "") or "y"
    pattern = rng.random()
    if pattern < 0.35:
        local = f"{f}.{lname}"
    elif pattern < 0.55:
        local = f"{f}{lname}"
    elif pattern < 0.7:
        local = f"{f[0]}{lname}"
    elif pattern < 0.8:
        local = f"{f}_{lname}"
    else:
        local = f"{f}{lname[:3]}"
    if rng.random() < 0.45:
        local += str(rng.randint(1, 99) if rng.random() < 0.6 else rng.randint(1950, 2008))
    domains = LOCALES[loc].email_domains
    domain = rng.choices([d for d, _ in domains], weights=[w for _, w in domains])[0]
    return registry.claim(rng, local, domain)


def make_phone_nsn(rng: random.Random, loc: int) -> str:
    locale = LOCALES[loc]
    return locale.mobile_prefix + "".join(str(rng.randint(0, 9)) for _ in range(locale.mobile_digits))


def _address(rng: random.Random, pools: Pools, loc: int) -> Address:
    return Address(
        rng.choice(pools.street[loc]), rng.choice(pools.city[loc]), rng.choice(pools.postcode[loc])
    )


def _first_name(rng: random.Random, pools: Pools, loc: int, sex: str) -> str:
    return rng.choice(pools.first_f[loc] if sex == "F" else pools.first_m[loc])


def make_people(
    rng: random.Random, pools: Pools, first_index: int, n: int, start: datetime, end: datetime,
    registry: EmailRegistry | None = None,
) -> list[Person]:
    """`n` people in households; twins, marriages, moves and email changes at the rates of `rates.py`."""
    registry = registry or EmailRegistry(0, 1)
    people: list[Person] = []
    locale_weights = [loc.weight for loc in LOCALES]
    index = first_index
    end_date = end.date()
    while len(people) < n:
        loc = rng.choices(range(len(LOCALES)), weights=locale_weights)[0]
        size = min(rng.choices((1, 2, 3, 4), weights=(0.5, 0.3, 0.12, 0.08))[0], n - len(people))
        household_id = f"H{index:09d}"
        address = _address(rng, pools, loc)
        family_name = rng.choice(pools.last[loc])
        members: list[Person] = []
        for m in range(size):
            sex = "F" if rng.random() < 0.5 else "M"
            if m == 0 or (m == 1 and rng.random() < 0.5):   # adults: head and maybe a partner
                age_days = rng.randint(18 * 365, 85 * 365)
            else:                                            # children / young adults, some minors
                age_days = rng.randint(13 * 365, 30 * 365)
            birth = end_date - timedelta(days=age_days)
            last = family_name if (m != 1 or rng.random() < 0.75) else rng.choice(pools.last[loc])
            first = _first_name(rng, pools, loc, sex)
            person = Person(
                person_id=f"P{index:09d}", loc=loc, sex=sex, first_name=first, last_name=last,
                birth_date=birth, household_id=household_id, address=address,
                email=make_email(rng, first, last, loc, registry), phone_nsn=make_phone_nsn(rng, loc),
            )
            index += 1
            members.append(person)
        # twins: the last member gets a twin sibling when there is room in the chunk
        if rng.random() < R["twin"] * 2 and len(people) + len(members) < n:
            sibling = members[-1]
            sex = "F" if rng.random() < 0.5 else "M"
            first = _first_name(rng, pools, loc, sex)
            while first == sibling.first_name:
                first = _first_name(rng, pools, loc, sex)
            twin = Person(
                person_id=f"P{index:09d}", loc=loc, sex=sex, first_name=first, last_name=sibling.last_name,
                birth_date=sibling.birth_date, household_id=household_id, address=address,
                email=make_email(rng, first, sibling.last_name, loc, registry),
                phone_nsn=sibling.phone_nsn if rng.random() < 0.3 else make_phone_nsn(rng, loc),
            )
            index += 1
            twin.twin_of, sibling.twin_of = sibling.person_id, twin.person_id
            twin.tags.add("twin")
            sibling.tags.add("twin")
            members.append(twin)
        if len(members) > 1 and rng.random() < R["household_shared_email"]:
            shared = members[0].email
            for member in members[1:]:
                member.shared_email = shared
                member.tags.add("household_shared_email")
            members[0].tags.add("household_shared_email")
        for person in members:
            age = (end_date - person.birth_date).days / 365.25
            if person.sex == "F" and 25 <= age <= 55 and rng.random() < R["married_name_change"]:
                person.new_last_name = rng.choice(pools.last[loc])
                person.name_change_at = random_time(rng, start, end)
                person.tags.add("married_name_change")
            if rng.random() < R["moved"]:
                person.new_address = _address(rng, pools, loc)
                person.moved_at = random_time(rng, start, end)
                person.tags.add("moved")
            if rng.random() < R["changed_email"]:
                person.new_email = make_email(rng, person.first_name, person.last_name_at(end), loc, registry)
                person.email_change_at = random_time(rng, start, end)
                person.tags.add("changed_email")
            # BG/NBD-style heterogeneity: weekly purchase rate ~ Gamma(r, 1/alpha), dropout ~ Beta(a, b),
            # mean spend per order ~ Gamma-Gamma (nu ~ Gamma(q, gamma); spend ~ Gamma(p, nu)).
            person.purchase_rate = rng.gammavariate(0.75, 1 / 12.0)
            person.dropout_p = rng.betavariate(0.8, 3.0)
            person.mean_spend = 6.0 / rng.gammavariate(4.0, 1 / 40.0)
        people.extend(members)
    return people[:n]
