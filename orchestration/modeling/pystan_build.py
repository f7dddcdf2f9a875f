"""Compile a Stan program into httpstan's cache directly, before PyStan asks for it.

PyStan builds a model through an HTTP request to its in-process httpstan server, and that
request gives up after aiohttp's default 300 s. On a loaded two-core machine (two fits sampling
with four chains each while a third compiles) a cold compile takes longer, and the fit fails
with a bare ``TimeoutError`` although nothing is wrong. Building here first, with no client
timeout and under a file lock so that two Dagster step processes never build the same model at
once, leaves ``stan.build`` nothing but the cache lookup. The steps are httpstan's own
(``httpstan.views.handle_create_model``), called without the HTTP layer.
"""

from __future__ import annotations

import asyncio
import fcntl
import subprocess

# httpstan's stanc call allows one second; a busy machine can exceed it, so it is retried.
_STANC_ATTEMPTS = 5


def ensure_built(program_code: str) -> str:
    """httpstan's model name for `program_code`, compiled into its cache if it was not."""
    import httpstan.cache
    import httpstan.compile
    import httpstan.models

    name = httpstan.models.calculate_model_name(program_code)
    lock_path = httpstan.cache.cache_directory() / f"build-{name.split('/')[1]}.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            httpstan.models.import_services_extension_module(name)
        except KeyError:
            pass
        else:
            return name
        httpstan.cache.delete_model_directory(name)
        stan_name = f"model_{name.split('/')[1]}"
        for attempt in range(1, _STANC_ATTEMPTS + 1):
            try:
                _, warnings = httpstan.compile.compile(program_code, stan_name)
                break
            except subprocess.TimeoutExpired:
                if attempt == _STANC_ATTEMPTS:
                    raise
        httpstan.cache.dump_stanc_warnings(warnings, name)
        output = asyncio.run(httpstan.models.build_services_extension_module(program_code))
        httpstan.cache.dump_services_extension_module_compiler_output(output, name)
    return name
