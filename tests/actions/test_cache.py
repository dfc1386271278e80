from __future__ import annotations

import time

from action_helpers import Env

from conveyor.actions import cache


def fill(env: Env) -> None:
    deps = env.workspace / "deps"
    (deps / "pkg").mkdir(parents=True)
    (deps / "pkg" / "mod.py").write_text("x = 1\n")
    (deps / "top.txt").write_text("top\n")
    (env.home / ".cache" / "tool").mkdir(parents=True)
    (env.home / ".cache" / "tool" / "blob").write_text("home\n")


def save(env: Env, key: str, paths: str = "deps\n~/.cache/tool") -> None:
    result = cache.run(env.context({"key": key, "path": paths}))
    assert result.ok, result.message
    assert result.outputs["cache-hit"] == "false"
    assert result.post is not None
    posted = result.post(env.context({"key": key, "path": paths}))
    assert posted.ok, posted.message


def wipe(env: Env) -> None:
    import shutil

    shutil.rmtree(env.workspace / "deps", ignore_errors=True)
    shutil.rmtree(env.home / ".cache", ignore_errors=True)


def test_miss_then_save_then_exact_hit(env: Env) -> None:
    fill(env)
    save(env, "deps-linux-abc")
    assert "Cache saved with key: deps-linux-abc" in env.output.text
    wipe(env)
    result = cache.run(env.context({"key": "deps-linux-abc", "path": "deps\n~/.cache/tool"}))
    assert result.ok
    assert result.outputs == {
        "cache-hit": "true",
        "cache-matched-key": "deps-linux-abc",
        "cache-primary-key": "deps-linux-abc",
    }
    assert result.post is None, "no save after an exact hit"
    assert (env.workspace / "deps/pkg/mod.py").read_text() == "x = 1\n"
    assert (env.home / ".cache/tool/blob").read_text() == "home\n"


def test_restore_keys_prefix_newest_first(env: Env) -> None:
    fill(env)
    save(env, "deps-linux-old")
    time.sleep(0.01)
    (env.workspace / "deps/top.txt").write_text("newer\n")
    save(env, "deps-linux-new")
    save(env, "other-linux-x")
    wipe(env)
    inputs = {
        "key": "deps-linux-zzz",
        "path": "deps\n~/.cache/tool",
        "restore-keys": "deps-linux-\ndeps-",
    }
    result = cache.run(env.context(inputs))
    assert result.outputs["cache-hit"] == "false"
    assert result.outputs["cache-matched-key"] == "deps-linux-new"
    assert (env.workspace / "deps/top.txt").read_text() == "newer\n"
    assert result.post is not None, "a partial hit saves under the primary key after the job"


def test_different_paths_do_not_share_entries(env: Env) -> None:
    fill(env)
    save(env, "k1", paths="deps")
    result = cache.run(env.context({"key": "k1", "path": "deps/pkg"}))
    assert result.outputs["cache-hit"] == "false"


def test_miss_and_fail_on_cache_miss(env: Env) -> None:
    result = cache.run(env.context({"key": "nothing", "path": "deps"}))
    assert result.ok and result.outputs["cache-hit"] == "false"
    assert result.outputs["cache-matched-key"] == ""
    assert "Cache not found" in env.output.text
    failing = cache.run(
        env.context({"key": "nothing", "path": "deps", "fail-on-cache-miss": "true"})
    )
    assert not failing.ok and "nothing" in failing.message


def test_lookup_only_does_not_restore(env: Env) -> None:
    fill(env)
    save(env, "look")
    wipe(env)
    result = cache.run(
        env.context({"key": "look", "path": "deps\n~/.cache/tool", "lookup-only": "true"})
    )
    assert result.outputs["cache-hit"] == "true"
    assert not (env.workspace / "deps").exists()
    assert result.post is None


def test_save_with_nothing_to_save_warns(env: Env) -> None:
    result = cache.run(env.context({"key": "empty", "path": "nothing-here"}))
    assert result.post is not None
    posted = result.post(env.context({"key": "empty", "path": "nothing-here"}))
    assert posted.ok
    assert "no cache is being saved" in env.output.text


def test_restore_and_save_subactions(env: Env) -> None:
    fill(env)
    saved = cache.run_save(env.context({"key": "split", "path": "deps"}))
    assert saved.ok, saved.message
    again = cache.run_save(env.context({"key": "split", "path": "deps"}))
    assert again.ok and "already exists" in env.output.text
    wipe(env)
    restored = cache.run_restore(env.context({"key": "split", "path": "deps"}))
    assert restored.outputs["cache-hit"] == "true" and restored.post is None
    assert (env.workspace / "deps/top.txt").is_file()


def test_invalid_inputs(env: Env) -> None:
    assert "key" in cache.run(env.context({"path": "deps"})).message
    assert "path" in cache.run(env.context({"key": "k"})).message
    assert "commas" in cache.run(env.context({"key": "a,b", "path": "x"})).message


def test_globs_and_exclusions(env: Env) -> None:
    fill(env)
    (env.workspace / "deps/pkg/skip.tmp").write_text("tmp")
    save(env, "globbed", paths="deps/**/*.py\ndeps/*.txt\n!deps/top.txt")
    wipe(env)
    result = cache.run(
        env.context({"key": "globbed", "path": "deps/**/*.py\ndeps/*.txt\n!deps/top.txt"})
    )
    assert result.outputs["cache-hit"] == "true"
    assert (env.workspace / "deps/pkg/mod.py").is_file()
    assert not (env.workspace / "deps/top.txt").exists()
    assert not (env.workspace / "deps/pkg/skip.tmp").exists()
