"""CPU per digest of rendering and of building the message, in one process, without the database's share.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/paperboy \\
        .venv/bin/python -m bench.render [--digests 500] [--rounds 7] [--database bench_digests]

It runs on the population that `bench.digests --keep` left in its database (the same --database): the first
--digests readers are claimed with the real tick and composed once; then, --rounds times, every digest is
rendered (`Renderer.render`, its cards already cached, as in a worker well into a run) and its message built
to bytes, each step timed with time.process_time. Printed: the best round of each, per digest, and the
SMTP DATA step's search for a dot at a line start over those messages, both ways.
"""

import argparse
import sys
import time
import timeit

from bench import digests


def best_per_digest(step, count: int, rounds: int) -> float:
    """The fastest of `rounds` rounds of `step()`, in µs per digest."""
    return min(timeit.repeat(step, number=1, repeat=rounds, timer=time.process_time)) / count * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--digests", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--database", default="bench_digests", help="the database `bench.digests --keep` left")
    args = parser.parse_args()
    digests.use_kept("bench/render.py", args.database)
    from django.core.mail import get_connection
    from django.utils import timezone

    from newsletter.claims import claim_and_sweep
    from newsletter.compose import compose_ids
    from newsletter.delivery import build_message
    from newsletter.mail import DOT_AFTER_LINE_FEED
    from newsletter.render import Renderer, personal_links

    digests.reset(timezone.now())
    claimed, _ = claim_and_sweep(on_commit=None)
    composed = [d for d in compose_ids(claimed[: args.digests], timezone.now()) if d.items]
    if not composed:
        sys.exit(f"bench/render.py: no digest to render in {args.database}; run bench.digests --keep first")
    renderer, connection = Renderer.shared(), get_connection()
    links = [personal_links(d) for d in composed]
    rendered = [renderer.render(digest, link) for digest, link in zip(composed, links, strict=True)]  # cards once

    def render() -> None:
        for digest, link in zip(composed, links, strict=True):
            renderer.render(digest, link)

    def build() -> list[bytes]:
        return [
            build_message(digest, out, link, connection).message().as_bytes(linesep="\r\n")
            for digest, out, link in zip(composed, rendered, links, strict=True)
        ]

    messages = build()
    count = len(composed)
    size = sum(map(len, messages)) / count / 1024
    print(f"{count} digests ({size:.0f} KB messages), best of {args.rounds} rounds, CPU per digest:")
    print(f"  render                    {best_per_digest(render, count, args.rounds):6.0f} µs")
    print(f"  build the message         {best_per_digest(build, count, args.rounds):6.0f} µs")
    search = best_per_digest(lambda: [DOT_AFTER_LINE_FEED.search(m) for m in messages], count, args.rounds)
    find = best_per_digest(lambda: [b"\n." in m for m in messages], count, args.rounds)
    print(f"  a dot at a line start?    {search:6.1f} µs with the regex, {find:.1f} µs with `in`")
    return 0


if __name__ == "__main__":
    sys.exit(main())
