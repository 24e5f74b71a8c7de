"""`make bench`: every benchmark, each printing its figures beside its own baseline."""

import asyncio

from bench import dispatch

asyncio.run(dispatch.main())
