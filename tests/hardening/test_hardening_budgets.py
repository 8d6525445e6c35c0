"""Small files with huge costs are answered early, with one message naming the budget;
repeated problems and findings are counted, not listed a million times (#17).

The budget is lowered through FABRIC_CONSOLE_MAX_VALUES where a case would otherwise need
a large file: what is tested is the behaviour at the budget, not the time it takes
(benchmarks/hardening.py measures the real cases)."""

from __future__ import annotations

from hardening_helpers import BASE, run_cli

BUDGET = "too many values"


def alias_bomb(vms: int, nics: int) -> str:
    nic = '&n {name: eth0, mac: "52:54:00:00:00:01", port_profile: web}'
    nic_list = "[" + nic + ", " + ", ".join(["*n"] * (nics - 1)) + "]"
    vm = "&v {name: vm1, host: kvm1, nics: &l " + nic_list + "}"
    head = BASE.split("vms:\n")[0]
    return head + "vms: [" + vm + ", " + ", ".join(["*v"] * (vms - 1)) + "]\n"


def test_an_alias_bomb_of_7_kb_is_refused_before_any_copy_is_checked(write):
    text = alias_bomb(900, 900)
    assert len(text) < 8000
    path = write(text)
    run = run_cli("validate", str(path))
    assert (run.code, run.out) == (2, "")
    assert run.err == (
        f"{path}: too many values: the file writes 3,656, but its YAML aliases expand them "
        "to more than 2,500,000; the budget is 2,500,000 values (mappings, lists, list items "
        "and scalars), more than a 100,000-VM fabric needs (FABRIC_CONSOLE_MAX_VALUES "
        "raises it)\n")


def test_aliases_that_add_more_than_their_share_are_refused_under_the_budget(write):
    path = write(alias_bomb(600, 600))
    run = run_cli("validate", str(path))
    assert (run.code, run.out) == (2, "")
    assert run.err == (
        f"{path}: too many values: YAML aliases expand 2,456 written values to 1,803,649; "
        "aliases may add at most 100,000 values (a file that is mostly copies of itself is "
        "refused before each copy is checked); write the objects out\n")


def test_shared_templates_within_the_allowance_still_load(write):
    path = write(alias_bomb(20, 20))
    run = run_cli("validate", str(path))
    # 20 VMs of one name, each with 20 vNICs of one name and MAC: 798 findings of two
    # rules, listed up to 100 each, not a refusal
    assert run.code == 1 and BUDGET not in run.err
    assert run.err == f"{path}: 798 errors, 0 warnings\n"
    lines = run.out.splitlines()
    assert len(lines) == 202
    assert lines[-2:] == ["error: ...: and 299 more like this [dup.mac]",
                          "error: ...: and 299 more like this [dup.name]"]


def test_a_long_list_of_plain_values_is_refused_by_count_not_by_alias_talk(write):
    path = write("- 0\n" * 20_000)
    run = run_cli("validate", str(path), env={"FABRIC_CONSOLE_MAX_VALUES": "10000"})
    assert (run.code, run.out) == (2, "")
    assert run.err == (
        f"{path}: too many values: the file holds more than 10,000; the budget is 10,000 "
        "values (mappings, lists, list items and scalars), more than a 100,000-VM fabric "
        "needs (FABRIC_CONSOLE_MAX_VALUES raises it)\n")
    assert "alias" not in run.err


def test_a_million_invalid_vlans_are_one_message(write):
    vlans = ",".join(["0"] * 1_000_000)
    path = write(BASE.replace("vlans: [100]", f"vlans: [{vlans}]"))
    run = run_cli("validate", str(path))
    assert (run.code, run.out) == (2, "")
    assert run.err == (f"{path}: port_profiles[0].vlans: a list of more than 4,096 items; a "
                       "list inside an object holds at most 4,096\n")


def test_a_nested_list_over_the_limit_in_a_small_file_is_refused_with_its_path(write):
    # one VLAN a line: no long line, few values, so no parser pass; the loaded data is
    # checked instead
    vlans = "".join(f"      - {v}\n" for v in [7] * 5000)
    path = write(BASE.replace("  - {name: web, clients: [default], vlans: [100], "
                              'description: "front end"}\n',
                              "  - name: web\n    clients: [default]\n    vlans:\n" + vlans))
    run = run_cli("validate", str(path))
    assert (run.code, run.out) == (2, "")
    assert run.err == (f"{path}: port_profiles[0].vlans: a list of 5,000 items; a list inside "
                       "an object holds at most 4,096\n")


def test_load_problems_past_one_hundred_are_counted(write):
    vms = "".join(f'  - {{name: vm{i}, host: kvm1, nics: [{{name: eth0, mac: "zz"}}]}}\n'
                  for i in range(250))
    path = write(BASE.split("vms:\n")[0] + "vms:\n" + vms)
    run = run_cli("validate", str(path))
    assert (run.code, run.out) == (2, "")
    lines = run.err.splitlines()
    assert len(lines) == 101
    assert lines[0] == (f"{path}: vms[0].nics[0].mac: a MAC address is six hex pairs, e.g. "
                        "52:54:00:00:01:01 (got 'zz')")
    assert lines[99].startswith(f"{path}: vms[99].nics[0].mac: ")
    assert lines[100] == f"{path}: and 150 more problems like these"


def test_a_million_bad_top_level_items_are_counted_not_listed(write):
    path = write(BASE.split("vms:\n")[0] + "vms: [" + ",".join(["0"] * 1_000_000) + "]\n")
    run = run_cli("validate", str(path))
    assert (run.code, run.out) == (2, "")
    lines = run.err.splitlines()
    assert len(lines) == 101
    assert lines[0] == (f"{path}: vms[0]: Input should be a valid dictionary or instance of "
                        "Vm (got a number)")
    assert lines[100] == f"{path}: and 999,900 more problems like these"


def test_repeated_findings_are_capped_per_rule(write):
    vms = "".join(f'  - {{name: vm{i}, host: nowhere, nics: [{{name: eth0, '
                  f'mac: "52:54:00:01:{i // 256:02x}:{i % 256:02x}", port_profile: web}}]}}\n'
                  for i in range(1, 131))
    path = write(BASE.split("vms:\n")[0] + "vms:\n" + vms)
    run = run_cli("validate", str(path))
    assert run.code == 1
    host_lines = [line for line in run.out.splitlines() if line.endswith("[ref.host]")]
    assert len(host_lines) == 101
    assert host_lines[-1] == "error: ...: and 30 more like this [ref.host]"
    assert run.err == f"{path}: 130 errors, 0 warnings\n"
    run = run_cli("validate", "--json", str(path))
    assert '"omitted": {\n    "ref.host": 30\n  }' in run.out
    run = run_cli("simulate", str(path))
    assert run.code == 1
    assert f"{path}: error: ...: and 30 more like this [ref.host]\n" in run.err


def test_long_top_level_lists_validate_in_chunks_to_the_same_topology(monkeypatch):
    from pathlib import Path

    from console.models import topofile as tf

    demo = Path(__file__).resolve().parents[2] / "resources/topologies/demo.yaml"
    whole = tf.load(demo)
    monkeypatch.setattr(tf, "_CHUNKED_FROM", 1)
    monkeypatch.setattr(tf, "_CHUNK", 2)
    chunked = tf.load(demo)
    assert tf.dumps(chunked) == tf.dumps(whole)
    assert chunked.model_dump() == whole.model_dump()


def test_problems_found_in_chunks_read_as_the_whole_files_problems(write, monkeypatch):
    from console.models import topofile as tf

    vms = "".join(f'  - {{name: vm{i}, host: kvm1, nics: [{{name: eth0, mac: "zz"}}]}}\n'
                  for i in range(250))
    path = write(BASE.split("vms:\n")[0].replace("release: \"2.2\"", "release: x")
                 + "vms:\n" + vms)
    try:
        tf.load(path)
    except tf.TopologyFileError as exc:
        whole = [str(p) for p in exc.problems]
    monkeypatch.setattr(tf, "_CHUNKED_FROM", 10)
    monkeypatch.setattr(tf, "_CHUNK", 7)
    try:
        tf.load(path)
    except tf.TopologyFileError as exc:
        chunked = [str(p) for p in exc.problems]
    assert chunked == whole
    assert whole[0] == ("ucs.release: release is written MAJOR.MINOR, e.g. 2.2 or 2.1(3a) "
                        "(got 'x')")
    assert whole[1].startswith("vms[0].nics[0].mac: a MAC address is six hex pairs")
    assert whole[-1] == "and 151 more problems like these"


def test_a_file_of_empty_lists_is_refused_by_count(write):
    path = write("[" + "[]," * 30_000 + "]\n")
    run = run_cli("validate", str(path), env={"FABRIC_CONSOLE_MAX_VALUES": "20000"})
    assert (run.code, run.out) == (2, "")
    assert run.err.startswith(f"{path}: too many values: the file holds more than 20,000;")


def test_a_mapping_of_a_million_unknown_keys_is_one_message(write):
    keys = ", ".join(f"k{i}: 1" for i in range(1_000_000))
    path = write(BASE.replace("{name: web1, host: kvm1,", "{" + keys + ", name: web1, host: kvm1,"))
    run = run_cli("validate", str(path))
    assert (run.code, run.out) == (2, "")
    assert run.err == (f"{path}: vms[0]: a mapping of more than 4,096 keys; a mapping holds "
                       "at most 4,096\n")


def test_a_small_file_with_too_many_keys_is_refused_with_its_path(write):
    keys = "".join(f"    k{i}: 1\n" for i in range(5000))
    path = write(BASE + "  - name: web2\n    host: kvm1\n" + keys)
    run = run_cli("validate", str(path))
    assert (run.code, run.out) == (2, "")
    assert run.err == f"{path}: vms[1]: a mapping of 5,002 keys; a mapping holds at most 4,096\n"
