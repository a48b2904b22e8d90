"""Tickets, messages, SLA measurements and CSAT (staff, customers and orders: people.py).

Deterministic for a seed. Shapes that the benchmarks rely on:
- customer 1 (山田 花子) has 500 tickets and 200 orders (the 360-panel case of issue #6);
- every ticket whose id is a multiple of 5,000 has 100 messages (the ticket-page case);
- created_at spans two years up to now, denser in recent months (dashboards over 90 days);
- old tickets are solved or closed, recent ones spread over every status (the inbox views).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from .copy import copy_rows, model_defaults
from .people import People
from .shapes import (  # noqa: F401 - bench/run.py reads the shapes from here
    CHANNELS_EMAIL_CUSTOMER,
    CHANNELS_LINE_CUSTOMER,
    DAYS,
    HEAVY_CUSTOMER_ID,
    HEAVY_TICKETS,
    LONG_TICKET_EVERY,
    LONG_TICKET_MESSAGES,
    MESSAGE_COLUMNS,
    PRIORITIES,
    RESPONSE_COLUMNS,
    SLA_COLUMNS,
    SURVEY_COLUMNS,
    _weighted,
    terms,
)
from .text import SIGNATURE_EN, SIGNATURE_JA, TAGS, TOPICS_EN, TOPICS_JA


class Generator(People):
    def __init__(
        self,
        cursor,
        *,
        customers: int,
        tickets: int,
        messages: int,
        seed: int,
        now: datetime,
        log=print,
    ) -> None:
        self.cursor = cursor
        self.customers = customers
        self.tickets = tickets
        self.messages = messages
        self.rng = random.Random(seed)
        self.now = now
        self.log = log
        self.team_ids: list[int] = []
        self.team_language: dict[int, str] = {}
        self.agents_by_team: dict[int, list[tuple[int, str]]] = {}
        self.tag_ids: list[int] = []
        self.customer_language: list[str] = [""]  # index = customer id
        self.customer_line_identity: dict[int, int] = {}
        self.customer_b_terms: list[str] = [""]
        self.customer_created: list[datetime | None] = [None]

    # ------------------------------------------------------------------ tickets, messages

    def _ticket_customer(self, ticket_id: int) -> int:
        if ticket_id <= HEAVY_TICKETS:
            return HEAVY_CUSTOMER_ID
        # Skewed: a few customers write often, most once or twice.
        return 2 + int((self.customers - 1) * self.rng.random() ** 1.7) % (self.customers - 1)

    def _created_at(self) -> datetime:
        # Denser towards now: the business grew.
        return self.now - timedelta(
            days=DAYS * self.rng.random() ** 1.5, seconds=self.rng.randrange(86400)
        )

    def _message_count(self, ticket_id: int) -> int:
        if ticket_id % LONG_TICKET_EVERY == 0:
            return LONG_TICKET_MESSAGES
        mean = self.messages / self.tickets
        # 1 + a geometric count with the right mean (chats are short, some mails go long).
        count = 1
        while self.rng.random() < 1 - 1 / mean and count < 40:
            count += 1
        return count

    def generate_tickets(self) -> tuple[int, int]:
        """Tickets (through a staging table that computes the search vector in SQL), their tags,
        messages, SLA measurements and CSAT responses."""
        cursor = self.cursor
        cursor.execute(
            "CREATE TEMP TABLE bench_ticket_stage (LIKE tickets_ticket INCLUDING DEFAULTS) "
            "ON COMMIT DROP"
        )
        cursor.execute(
            "ALTER TABLE bench_ticket_stage DROP COLUMN search_vector, "
            "ADD COLUMN terms_a text, ADD COLUMN terms_b text, ADD COLUMN terms_c text"
        )
        ticket_columns = [
            "id",
            "subject",
            "status",
            "priority",
            "channel",
            "created_at",
            "updated_at",
            "last_message_at",
            "first_replied_at",
            "solved_at",
            "assignee_id",
            "customer_id",
            "identity_id",
            "team_id",
            "sla_breached",
            "sla_due_at",
            "sla_target",
            "customer_activity_at",
            "merged_into_id",
            "closed_at",
        ]
        state = {"messages": 0}
        message_rows: list[tuple] = []
        tag_rows: list[tuple] = []
        sla_rows: list[tuple] = []
        survey_rows: list[tuple] = []
        response_rows: list[tuple] = []

        def tickets():
            for ticket_id in range(1, self.tickets + 1):
                row, messages, tags, sla, survey = self._ticket(ticket_id, state)
                message_rows.extend(messages)
                tag_rows.extend(tags)
                sla_rows.append(sla)
                if survey:
                    survey_rows.append(survey[0])
                    response_rows.append(survey[1])
                yield row
                if len(message_rows) >= 200_000:
                    self._flush(message_rows, tag_rows, sla_rows, survey_rows, response_rows)
                if ticket_id % 100_000 == 0:
                    self.log(f"  {ticket_id:,} tickets, {state['messages']:,} messages")

        # Messages are flushed from inside the ticket stream, between blocks of tickets: one
        # connection runs one COPY at a time.
        self._copy_tickets_in_blocks(ticket_columns, tickets)
        self._flush(message_rows, tag_rows, sla_rows, survey_rows, response_rows)
        defaults = model_defaults("tickets_ticket", [*ticket_columns, "search_vector"])
        cursor.execute(
            f"INSERT INTO tickets_ticket ({', '.join(ticket_columns)}, search_vector"
            f"{''.join(', ' + column for column, _ in defaults)}) "
            f"SELECT {', '.join(ticket_columns)}, "
            "setweight(to_tsvector('simple', terms_a), 'A') || "
            "setweight(to_tsvector('simple', terms_b), 'B') || "
            "setweight(to_tsvector('simple', terms_c), 'C')"
            f"{', %s' * len(defaults)} FROM bench_ticket_stage",
            [value for _, value in defaults],
        )
        return self.tickets, state["messages"]

    def _copy_tickets_in_blocks(self, columns, tickets) -> None:
        block: list[tuple] = []
        for row in tickets():
            block.append(row)
            if len(block) >= 20_000:
                copy_rows(
                    self.cursor,
                    "bench_ticket_stage",
                    columns + ["terms_a", "terms_b", "terms_c"],
                    block,
                )
                block.clear()
        if block:
            copy_rows(
                self.cursor,
                "bench_ticket_stage",
                columns + ["terms_a", "terms_b", "terms_c"],
                block,
            )

    def _flush(self, messages, tags, sla, surveys, responses) -> None:
        cursor = self.cursor
        copy_rows(
            cursor,
            "tickets_message",
            MESSAGE_COLUMNS,
            messages,
        )
        copy_rows(cursor, "tickets_ticket_tags", ["ticket_id", "tag_id"], tags)
        copy_rows(
            cursor,
            "sla_ticketsla",
            SLA_COLUMNS,
            sla,
        )
        copy_rows(
            cursor,
            "feedback_survey",
            SURVEY_COLUMNS,
            surveys,
        )
        copy_rows(
            cursor,
            "feedback_surveyresponse",
            RESPONSE_COLUMNS,
            responses,
        )
        for buffer in (messages, tags, sla, surveys, responses):
            buffer.clear()

    def _ticket(self, ticket_id: int, state: dict):
        rng = self.rng
        customer_id = self._ticket_customer(ticket_id)
        language = self.customer_language[customer_id]
        line_identity = self.customer_line_identity.get(customer_id)
        channels = CHANNELS_LINE_CUSTOMER if line_identity else CHANNELS_EMAIL_CUSTOMER
        channel = rng.choices(*_weighted(channels))[0]
        identity_id = line_identity if channel == "line" else customer_id
        topics = TOPICS_JA if language == "ja" else TOPICS_EN
        topic_index = rng.randrange(len(topics))
        subject_base, first, answers, followups = topics[topic_index]
        order_number = 100000 + rng.randrange(900000)
        subject = (
            f"{subject_base}（注文番号 {order_number}）"
            if language == "ja"
            else f"{subject_base} (order {order_number})"
        )
        created = self._created_at()
        age_days = (self.now - created).days
        if age_days > 30:
            status = "closed" if rng.random() < 0.7 else "solved"
        elif age_days > 10:
            status = rng.choices(["solved", "closed", "pending", "open"], [60, 25, 8, 7])[0]
        else:
            status = rng.choices(
                ["new", "open", "pending", "on_hold", "solved"], [15, 35, 15, 5, 30]
            )[0]
        teams = [t for t in self.team_ids if self.team_language[t] == language]
        team_id = rng.choice(teams)
        agent_id, agent_name = rng.choice(self.agents_by_team[team_id])
        if status == "new" and rng.random() < 0.7:
            agent_id = None
        signature = (SIGNATURE_JA if language == "ja" else SIGNATURE_EN).format(agent=agent_name)

        count = self._message_count(ticket_id)
        if status == "new":
            count = 1
        at = created
        messages = []
        first_reply_at = last_agent_at = customer_at = None
        agent_replies = 0
        bodies_terms: list[str] = []
        for position in range(count):
            from_customer = position % 2 == 0
            if from_customer:
                body = first if position == 0 else followups[(position // 2) % len(followups)]
                author_kind, author, identity = "customer", None, identity_id
                customer_at = at
            else:
                body = answers[(position // 2) % len(answers)] + signature
                author_kind, author, identity = (
                    "agent",
                    agent_id or self.agents_by_team[team_id][0][0],
                    None,
                )
                agent_replies += 1
                last_agent_at = at
                first_reply_at = first_reply_at or at
            internal = not from_customer and rng.random() < 0.05
            state["messages"] += 1
            message_id = state["messages"]
            messages.append(
                (
                    message_id,
                    author_kind,
                    internal,
                    channel,
                    body,
                    "",
                    f"<bench-{message_id}@example.jp>"
                    if channel == "email" and from_customer
                    else "",
                    at,
                    author,
                    identity,
                    ticket_id,
                )
            )
            if len(bodies_terms) < 100:
                bodies_terms.append(terms(body))
            at = at + timedelta(minutes=rng.randrange(5, 600 if channel == "email" else 30))
        last_message_at = messages[-1][7]
        solved_at = closed_at = None
        if status in ("solved", "closed"):
            solved_at = last_message_at + timedelta(minutes=rng.randrange(1, 240))
            if status == "closed":
                closed_at = solved_at + timedelta(days=4)
        updated_at = closed_at or solved_at or last_message_at
        if updated_at > self.now:
            updated_at = self.now
        priority = rng.choices(*_weighted(PRIORITIES))[0]
        tag_count = rng.choices([0, 1, 2, 3], [35, 40, 20, 5])[0]
        tags = [(ticket_id, tag) for tag in rng.sample(self.tag_ids, tag_count)]
        tag_terms = " ".join(terms(TAGS[tag - self.tag_ids[0]]) for _, tag in tags)
        unsolved = status not in ("solved", "closed")
        sla_due = (
            created + timedelta(hours=12 if channel == "email" else 1)
            if unsolved and first_reply_at is None
            else None
        )
        row = (
            ticket_id,
            subject,
            status,
            priority,
            channel,
            created,
            updated_at,
            last_message_at,
            first_reply_at,
            solved_at,
            agent_id,
            customer_id,
            identity_id,
            team_id,
            bool(sla_due and sla_due < self.now),
            sla_due,
            "first_reply" if sla_due else "",
            customer_at,
            None,
            closed_at,
            terms(subject_base) + f" {order_number} {ticket_id}",
            self.customer_b_terms[customer_id] + " " + tag_terms,
            " ".join(reversed(bodies_terms)),
        )

        def minutes(later):
            return round((later - created).total_seconds() / 60, 1) if later else None

        sla = (
            ticket_id,
            channel,
            team_id,
            created,
            first_reply_at,
            agent_id if first_reply_at else None,
            minutes(first_reply_at),
            solved_at,
            agent_id if solved_at else None,
            minutes(solved_at),
            None,
            last_agent_at,
            agent_replies,
            1 if rng.random() < 0.03 else 0,
            status,
            updated_at,
            0.0,
        )
        survey = None
        if solved_at and agent_id and rng.random() < 0.15:
            good = rng.random() < 0.86
            sent = solved_at + timedelta(hours=1)
            survey = (
                (
                    ticket_id,
                    channel,
                    "sent",
                    "",
                    language,
                    "good_bad",
                    sent,
                    sent,
                    sent + timedelta(days=14),
                    f"{rng.getrandbits(64):016x}",
                    sent,
                    customer_id,
                    ticket_id,
                ),
                (
                    ticket_id,
                    channel,
                    [],
                    [],
                    "good_bad",
                    1 if good else 0,
                    good,
                    "",
                    "" if rng.random() < 0.7 else ("丁寧でした" if good else "返事が遅い"),
                    0,
                    sent + timedelta(hours=2),
                    sent + timedelta(hours=2),
                    agent_id,
                    customer_id,
                    team_id,
                    ticket_id,
                ),
            )
        return row, messages, tags, sla, survey
