"""The `make test` runner: suites from the pytest testpaths, run side by side, summed up."""

from pathlib import Path

import pytest
from crm_local.stack import find_repo_root
from crm_testing import runner


def workspace(root: Path, files: dict[str, str]) -> Path:
    folders = sorted({name.split("/")[0] for name in files})
    (root / "pyproject.toml").write_text(
        "[tool.pytest.ini_options]\ntestpaths = [" + ", ".join(f'"{f}"' for f in folders) + "]\n"
    )
    for name, body in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(body)
    return root


def test_the_largest_package_is_split_into_its_test_folders_and_shards() -> None:
    root = find_repo_root()
    found = runner.suites(root)
    assert "contacts-service/tests/unit" in found
    shards = [f"contacts-service/tests/integration#{k}of2" for k in (1, 2)]
    assert set(shards) <= set(found)
    assert "contacts-service/tests" not in found
    assert {"tests", "tests/faults", "gateway/tests", "services/chassis/tests"} <= set(found)
    # The shards deal every file out once.
    dealt = [f for shard in shards for f in runner._targets(root, shard)]
    every = sorted(
        str(p.relative_to(root))
        for p in (root / "contacts-service/tests/integration").rglob("test_*.py")
    )
    assert sorted(dealt) == every and len(set(dealt)) == len(dealt)


def test_counts_of_every_suite_add_up_and_a_failure_fails_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = workspace(
        tmp_path,
        {
            "a/test_a.py": "def test_one(): pass\ndef test_two(): pass\n",
            "b/test_b.py": "import pytest\ndef test_bad(): assert False\n"
            "@pytest.mark.skip\ndef test_later(): pass\n",
        },
    )
    assert runner.run(root, [], 2, []) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[-3:-1] == ["failed suites: b", "2 passed, 1 failed, 1 skipped"]
    assert "test_bad" in out  # the failing suite's output is shown
    assert (root / ".data" / "test-logs" / "a.log").is_file()
    assert set(runner._read_json(root / ".data" / "test-durations.json")) == {"a", "b"}


def test_selected_suites_only_and_no_test_at_all_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = workspace(tmp_path, {"a/test_a.py": "def test_one(): pass\n", "b/test_b.py": ""})
    assert runner.run(root, ["a"], 2, []) == 0
    assert "1 passed, 0 failed" in capsys.readouterr().out.splitlines()
    assert runner.run(root, ["b"], 2, []) == 1
    assert "no test ran" in capsys.readouterr().out


def test_a_suite_that_cannot_even_collect_counts_as_failed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = workspace(tmp_path, {"a/test_a.py": "import not_a_module_anywhere\n"})
    assert runner.run(root, [], 1, []) == 1
    assert "0 passed, 1 failed" in capsys.readouterr().out.splitlines()
