"""`make bench`: every benchmark, each printing its figures beside its own baseline."""

import asyncio

from bench import analytics, dispatch, fanout, outbox, processes


async def main() -> None:
    await outbox.main()  # first: its peak memory figure is the process's own
    print()
    await dispatch.main()
    print()
    await fanout.main()
    print()
    await processes.main()
    print()
    await analytics.main(analytics.SIZES)


asyncio.run(main())
