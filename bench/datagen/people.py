"""Staff and teams, customers, their identities and their orders (bench.datagen.tickets
writes the tickets). A mixin of Generator: it shares the generator's random stream, so the data
set stays the same for a seed."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from .shapes import AGENTS_PER_TEAM, DAYS, HEAVY_CUSTOMER_ID, HEAVY_ORDERS, TEAMS, terms
from .text import FAMILY_EN, FAMILY_JA, GIVEN_EN, GIVEN_JA, KANA_FAMILY, TAGS


class People:
    # ------------------------------------------------------------------ staff, teams, tags

    def staff(self) -> None:
        """Teams of ten agents (ORM: few rows, and passwords must be real hashes)."""
        from django.contrib.auth.hashers import make_password

        from helpdesk.models import User
        from tickets.models import Tag, Team

        password = make_password("bench-password")
        for index, (name, language) in enumerate(TEAMS):
            team = Team.objects.create(name=name)
            self.team_ids.append(team.pk)
            self.team_language[team.pk] = language
            members = []
            for number in range(AGENTS_PER_TEAM):
                if language == "ja":
                    agent_name = f"{FAMILY_JA[(index * 7 + number) % 20]} {GIVEN_JA[number]}"
                else:
                    agent_name = f"{GIVEN_EN[number]} {FAMILY_EN[(index * 5 + number) % 16]}"
                user = User.objects.create(
                    email=f"agent{index}-{number}@bench.example",
                    name=agent_name,
                    role="agent",
                    password=password,
                )
                members.append((user.pk, agent_name))
            team.members.add(*[pk for pk, _ in members])
            self.agents_by_team[team.pk] = members
        User.objects.create(
            email="manager@bench.example", name="Bench Manager", role="manager", password=password
        )
        User.objects.create(
            email="admin@bench.example",
            name="Bench Admin",
            role="admin",
            is_staff=True,
            is_superuser=True,
            password=password,
        )
        self.tag_ids = [Tag.objects.create(name=name).pk for name in TAGS]

    # ------------------------------------------------------------------ customers

    def customer_rows(self):
        rng = self.rng
        for customer_id in range(1, self.customers + 1):
            if customer_id == HEAVY_CUSTOMER_ID:
                language, name, kana = "ja", "山田 花子", "やまだ はなこ"
            elif rng.random() < 0.65:
                family = rng.randrange(20)
                language = "ja"
                name = f"{FAMILY_JA[family]} {GIVEN_JA[rng.randrange(20)]}"
                kana = KANA_FAMILY[family]
            else:
                language, kana = "en", ""
                name = f"{rng.choice(GIVEN_EN)} {rng.choice(FAMILY_EN)}"
            domain = "example.jp" if language == "ja" else "example.com"
            email = f"c{customer_id}@{domain}"
            phone = (
                f"090-{customer_id // 10000:04d}-{customer_id % 10000:04d}"
                if rng.random() < 0.3
                else ""
            )
            created = self.now - timedelta(days=DAYS + rng.random() * 365)
            self.customer_language.append(language)
            self.customer_created.append(created)
            self.customer_b_terms.append(
                " ".join(
                    filter(
                        None,
                        (
                            terms(name),
                            terms(kana) if kana else "",
                            terms(email),
                            terms(phone) if phone else "",
                        ),
                    )
                )
            )
            vip = rng.random() < 0.02
            tags = ["vip"] if vip else []
            yield (
                customer_id,
                name,
                email,
                language,
                "Asia/Tokyo" if language == "ja" else "UTC",
                created,
                created,
                "",
                kana,
                phone,
                tags,
                vip,
                "{}",
            )

    def identity_rows(self):
        """Every customer has an email identity (id = customer id); a quarter of the Japanese
        ones also a LINE identity, whose handle is searchable like an address."""
        rng = self.rng
        next_id = self.customers + 1
        for customer_id in range(1, self.customers + 1):
            created = self.customer_created[customer_id]
            email = f"c{customer_id}@{'example.jp' if self.customer_language[customer_id] == 'ja' else 'example.com'}"
            yield (customer_id, "email", email, "", created, customer_id)
            if self.customer_language[customer_id] == "ja" and (
                customer_id == HEAVY_CUSTOMER_ID or rng.random() < 0.25
            ):
                handle = f"U{rng.getrandbits(128):032x}"
                self.customer_line_identity[customer_id] = next_id
                self.customer_b_terms[customer_id] += " " + terms(handle)
                yield (next_id, "line", handle, "", created, customer_id)
                next_id += 1

    # ------------------------------------------------------------------ orders

    def order_rows(self):
        """Orders with 1–3 items: customer 1 has 200, three in five others have 1–4."""
        rng = self.rng
        order_id = 0
        items: list[tuple] = []
        products = [
            ("MUG-01", "マグカップ 白", Decimal("1800")),
            ("TEE-M", "Tシャツ M", Decimal("3500")),
            ("TEE-L", "T-shirt L", Decimal("3500")),
            ("BAG-02", "トートバッグ", Decimal("4200")),
            ("CAP-01", "Cap", Decimal("2900")),
            ("SOCK-3", "靴下 3足組", Decimal("1500")),
        ]
        for customer_id in range(1, self.customers + 1):
            if customer_id == HEAVY_CUSTOMER_ID:
                count = HEAVY_ORDERS
            else:
                count = rng.choices([0, 1, 2, 3, 4], [40, 30, 15, 10, 5])[0]
            currency = "JPY" if self.customer_language[customer_id] == "ja" else "USD"
            for _ in range(count):
                order_id += 1
                ordered = self.now - timedelta(days=rng.random() * DAYS)
                total = Decimal(0)
                for line in range(rng.randint(1, 3)):
                    sku, name, price = rng.choice(products)
                    quantity = rng.randint(1, 3)
                    total += price * quantity
                    items.append((order_id * 4 + line, sku, name, quantity, price, order_id))
                shipped = rng.random() < 0.9
                yield (
                    order_id,
                    "import",
                    f"bench-{order_id}",
                    f"#{100000 + order_id}",
                    ordered,
                    "fulfilled" if shipped else "paid",
                    total,
                    currency,
                    "delivered" if shipped else "",
                    f"{rng.randrange(10**12):012d}" if shipped else "",
                    "",
                    ordered,
                    customer_id,
                    "ヤマト運輸" if shipped and currency == "JPY" else "",
                    None,
                )
        self.items = items
