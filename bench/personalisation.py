"""Replay five weeks of real Hugging Face papers through the product: readers who click against readers who don't.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/paperboy .venv/bin/python -m bench.personalisation \\
        [--block eval|tune] [--pairs 4] [--seed 1]

It builds a database of its own beside DATABASE_URL's (its name + "_personalisation"), migrates it, and then,
week by week, ingests the week's corpus files (`../shared/fixtures/corpus/hf_daily/`) with the real ingestion
(which tags the papers and gives them their text vectors), runs `manage.py send_digests --now <Monday 08:00>`
(the real tick, compose, render and send, writing every email as an .eml file), and reads the emails back.

Each simulated reader signs up with one to three topics, one of them holding a hidden interest narrower than any
topic (a phrase family matched in the title and abstract). A learner, in weeks one to three, opens the "more
like this" link of every on-interest paper of their email and "less like this" on two others, posting the
confirm button as a browser would (Django's test client against the real views). Its control reader has the
same topics and never clicks. Weeks four and five are measured: the share of the on-interest picks a reader
could have had, on-interest papers in the email / min(papers in the email, on-interest papers of the week).

Two blocks of five consecutive weeks, fixed before any tuning: `tune` (2025-05-19 to 2025-06-22), on which the
ranking's profile constants were chosen, and `eval` (2025-09-29 to 2025-11-02), reported and never tuned on.
"""

import argparse
import email
import email.policy
import os
import random
import re
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from statistics import mean
from urllib.parse import urlsplit, urlunsplit

from bench.tagging import FIXTURES, ROOT

CORPUS = FIXTURES / "corpus" / "hf_daily"
BLOCKS = {"tune": date(2025, 5, 19), "eval": date(2025, 9, 29)}  # Mondays; five weeks from each
WEEKS = 5
LEARNING_WEEKS = 3
LESS_PER_EMAIL = 2
FEEDBACK_LINK = re.compile(r'href="https?://[^"/]+(/feedback/[^"/]+/(\d+)/(more|less)/)"')


@dataclass(frozen=True)
class Interest:
    name: str
    topic: str  # the slug of the topic it lies inside
    pattern: str  # matched, case-insensitively, against title and abstract

    def matches(self, text: str) -> bool:
        return re.search(self.pattern, text, re.IGNORECASE) is not None


# Chosen on the tune block before any constant was tuned: each is a phrase family inside one topic, at most a
# third of that topic's papers there, with at least five papers in the block.
INTERESTS = [
    Interest("speculative decoding / KV cache", "efficiency", r"speculative decoding|kv[- ]cache|draft model"),
    Interest("long context", "llm", r"long[- ]context"),
    Interest("mathematical reasoning", "reasoning", r"mathematical reasoning|math reasoning|theorem|\bmath\b"),
    Interest("GUI and web agents", "agents", r"gui agent|web agent|computer[- ]use|\bgui\b"),
    Interest("video understanding", "video", r"video understanding|video question|video qa|long video"),
    Interest("image editing", "generative", r"image editing|\bedit(ing)? images?\b"),
    Interest("documents and charts", "multimodal", r"\bocr\b|document understanding|chart|table understanding"),
    Interest("reward models", "rl", r"reward model"),
    Interest("jailbreaks and red-teaming", "alignment", r"jailbreak|red[- ]team|safety alignment"),
    Interest("segmentation", "vision", r"segmentation|segment anything"),
]


@dataclass
class Reader:
    email: str
    interest: Interest
    learner: bool
    topics: list[str]
    shares: list[float] = field(default_factory=list)  # one per measured week with on-interest papers
    clicks: int = 0


def bench_database(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "_personalisation"))


def create_database(url: str) -> None:
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    admin = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def corpus_days(monday: date) -> list[tuple[date, Path]]:
    days = [monday + timedelta(days=n) for n in range(7)]
    return [(day, CORPUS / f"hf_daily_papers_{day.isoformat()}.json") for day in days]


def make_readers(pairs: int, seed: int, topics: list[str]) -> list[Reader]:
    """For each interest, `pairs` learners and as many control readers with the same one to three topics."""
    rng = random.Random(seed)
    readers = []
    for n, interest in enumerate(INTERESTS):
        for pair in range(pairs):
            others = rng.sample([t for t in topics if t != interest.topic], rng.randint(0, 2))
            chosen = [interest.topic, *others]
            for learner in (True, False):
                address = f"{'learner' if learner else 'control'}-{n:02d}-{pair}@bench.example.org"
                readers.append(Reader(address, interest, learner, chosen))
    return readers


def sign_up(readers: list[Reader], first_send: datetime) -> None:
    """Active weekly readers due at the first Monday, as after confirming (the subscribe flow is tested elsewhere)."""
    from papers.models import Topic
    from subscribers.models import Subscriber, SubscriberTopic

    ids = dict(Topic.objects.values_list("slug", "id"))
    for reader in readers:
        row = Subscriber.objects.create(
            email=reader.email,
            status=Subscriber.Status.ACTIVE,
            frequency=Subscriber.Frequency.WEEKLY,
            weekday=first_send.weekday(),
            hour=first_send.hour,
            timezone="UTC",
            paper_count=10,
            next_digest_at=first_send,
        )
        SubscriberTopic.objects.bulk_create([SubscriberTopic(subscriber=row, topic_id=ids[t]) for t in reader.topics])


def ingest_week(monday: date) -> int:
    import time_machine

    from papers.ingest import ingest_content

    created = 0
    for day, path in corpus_days(monday):
        if not path.exists():
            continue  # weekends and holidays have no file
        with time_machine.travel(datetime(day.year, day.month, day.day, 20, tzinfo=UTC), tick=False):
            run = ingest_content("hf-daily", path.read_bytes(), listed_on=day)
        created += run.created
    return created


def read_outbox(folder: Path) -> dict[str, list[tuple[int, str, str]]]:
    """The emails written since the last call, by recipient: (paper id, direction, link path) in email order."""
    received: dict[str, list[tuple[int, str, str]]] = {}
    for path in sorted(folder.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        html = message.get_body(("html",)).get_content()
        received[message["To"]] = [(int(pid), way, link) for link, pid, way in FEEDBACK_LINK.findall(html)]
        path.unlink()
    return received


def week_texts(monday: date) -> dict[int, str]:
    from papers.models import Paper

    rows = Paper.objects.filter(trending_date__gte=monday, trending_date__lte=monday + timedelta(days=6))
    return {pid: f"{title}\n{abstract}" for pid, title, abstract in rows.values_list("id", "title", "abstract")}


def give_feedback(client, reader: Reader, links: list[tuple[int, str, str]], texts: dict[int, str]) -> None:
    """What a learner does with one email: "more" on every on-interest paper, "less" on two others."""
    papers = list(dict.fromkeys(pid for pid, _, _ in links))
    by_way = {(pid, way): link for pid, way, link in links}
    on = [pid for pid in papers if reader.interest.matches(texts.get(pid, ""))]
    off = [pid for pid in papers if pid not in on][:LESS_PER_EMAIL]
    for pid, way in [(pid, "more") for pid in on] + [(pid, "less") for pid in off]:
        assert client.get(by_way[(pid, way)]).status_code == 200  # the page with the button
        assert client.post(by_way[(pid, way)]).status_code == 200  # the button
        reader.clicks += 1


def replay(block: str, pairs: int, seed: int, outbox: Path) -> list[Reader]:
    import time_machine
    from django.core.management import call_command
    from django.test import Client

    from papers.models import Paper, Topic

    call_command("migrate", verbosity=0)
    start = BLOCKS[block]
    readers = make_readers(pairs, seed, list(Topic.objects.filter(active=True).values_list("slug", flat=True)))
    sign_up(readers, datetime.combine(start + timedelta(days=7), datetime.min.time(), UTC).replace(hour=8))
    client = Client()
    by_email = {r.email: r for r in readers}
    for week in range(WEEKS):
        monday = start + timedelta(days=7 * week)
        created = ingest_week(monday)
        send = datetime.combine(monday + timedelta(days=7), datetime.min.time(), UTC).replace(hour=8)
        with time_machine.travel(send, tick=False):
            call_command("send_digests", now=send.isoformat(), stdout=open(os.devnull, "w"))  # noqa: SIM115
        received = read_outbox(outbox)
        texts = week_texts(monday)
        with time_machine.travel(send + timedelta(hours=2), tick=False):
            for address, links in received.items():
                reader = by_email[address]
                papers = list(dict.fromkeys(pid for pid, _, _ in links))
                if week < LEARNING_WEEKS:
                    if reader.learner:
                        give_feedback(client, reader, links, texts)
                    continue
                available = sum(1 for text in texts.values() if reader.interest.matches(text))
                if available and papers:
                    hits = sum(1 for pid in papers if reader.interest.matches(texts.get(pid, "")))
                    reader.shares.append(hits / min(len(papers), available))
        print(
            f"week {week + 1} ({monday.isoformat()}): {created} papers ingested, {len(received)} emails, "
            f"{sum(r.clicks for r in readers)} clicks so far, {Paper.objects.filter(vector__isnull=False).count()} "
            "papers with a vector",
            flush=True,
        )
    return readers


def report(readers: list[Reader], block: str) -> None:
    def share(group: list[Reader]) -> float:
        values = [s for r in group for s in r.shares]
        return mean(values) if values else float("nan")

    learners = [r for r in readers if r.learner]
    controls = [r for r in readers if not r.learner]
    print(f"\nblock {block}: weeks 4-5, share of the possible on-interest picks")
    print(f"{'interest':50} {'topic':10} {'learners':>9} {'control':>8} {'weeks':>6}")
    by_interest = defaultdict(list)
    for r in readers:
        by_interest[r.interest].append(r)
    for interest in INTERESTS:
        group = by_interest[interest]
        weeks = sum(len(r.shares) for r in group if r.learner)
        learned, control = share([r for r in group if r.learner]), share([r for r in group if not r.learner])
        print(f"{interest.name:50} {interest.topic:10} {learned:9.2f} {control:8.2f} {weeks:6d}")
    learned, control = share(learners), share(controls)
    ratio = learned / control if control else float("inf")
    print(f"\nclicks per learner in weeks 1-3: {mean(r.clicks for r in learners):.1f}")
    print(f"learners={learned:.3f} control={control:.3f} ratio={ratio:.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--block", choices=sorted(BLOCKS), default="eval")
    parser.add_argument("--pairs", type=int, default=4, help="learner/control pairs per interest")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="try a ranking constant")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        print("set DATABASE_URL to a PostgreSQL server: the benchmark builds its own database beside it")
        return 2
    outbox = Path(tempfile.mkdtemp(prefix="paperboy-personalisation-"))
    os.environ["DATABASE_URL"] = bench_database(url)
    os.environ["EMAIL_URL"] = f"file://{outbox}"
    os.environ.pop("REDIS_URL", None)  # nothing here needs a broker: the tick sends in this process
    os.environ["VAR_DIR"] = str(outbox / "var")
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"  # the test client's host
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsletter.settings")
    create_database(os.environ["DATABASE_URL"])
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from newsletter import ranking

    for assignment in args.set:  # how the profile constants were tuned, on the tune block only
        name, value = assignment.split("=", 1)
        if not hasattr(ranking, name):
            print(f"newsletter.ranking has no constant {name}")
            return 2
        setattr(ranking, name, float(value))
        print(f"{name} = {value}")
    readers = replay(args.block, args.pairs, args.seed, outbox)
    report(readers, args.block)
    return 0


if __name__ == "__main__":
    sys.exit(main())
