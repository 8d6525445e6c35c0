"""console/models/base.py caches a private pydantic function (a tenfold faster load of a
large topology). pydantic is pinned to the releases this was checked with; these tests say
at once when a new release moves or renames what the cache wraps."""

from __future__ import annotations

from importlib.metadata import version

from pydantic._internal import _fields

import console.models.base  # noqa: F401  (installs the cache)
from console.models import Host, Switching


def test_the_cached_function_is_still_where_pydantic_calls_it():
    patched = _fields.takes_validated_data_argument
    assert hasattr(patched, "cache_info"), (
        f"pydantic {version('pydantic')}: takes_validated_data_argument is no longer cached "
        "(renamed or moved?): see console/models/base.py")


def test_new_instances_do_not_inspect_factories_again():
    # What the cache is for: inspect.signature runs once per default factory, never once
    # per new object (pydantic 2.13 asked for every instance; 2.14 keeps the answer per
    # private attribute itself, and the cache then sees no calls after the first).
    patched = _fields.takes_validated_data_argument
    Host(name="warm-up", cluster="default", switching=Switching.VEM)
    inspected = patched.cache_info().misses
    for i in range(50):
        Host(name=f"h{i}", cluster="default", switching=Switching.VEM)
    assert patched.cache_info().misses == inspected
