"""`make bench`: every benchmark, each printing its figures beside its own baseline."""

import asyncio

from bench import dispatch, fanout, outbox


async def main() -> None:
    await dispatch.main()
    print()
    await outbox.main()
    print()
    await fanout.main()


asyncio.run(main())
