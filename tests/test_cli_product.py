"""The CLI's product points: unknown facet values refused with suggestions, the demo's sources after `make run`,
one-time reset links, and French for Click's own messages."""

from __future__ import annotations

from click.testing import CliRunner

from crpv_watch.cli import main


def run(tmp_path, *args, env=None):
    return CliRunner().invoke(main, ["--data-dir", str(tmp_path / "data"), *args],
                              env={"CRPV_WATCH_SECRET_KEY": "x", **(env or {})})


def test_search_refuses_unknown_facet_values_with_suggestions(tmp_path):
    sources = tmp_path / "sources.yaml"
    sources.write_text("sources: []\n", encoding="utf-8")
    result = run(tmp_path, "--sources", str(sources), "search", "", "--theme", "participation")
    assert result.exit_code == 2
    assert "« participation » n'est pas un thème connu" in result.output
    assert "participation_habitants" in result.output
    assert run(tmp_path, "--sources", str(sources), "search", "", "--theme", "sante").exit_code == 0


def test_the_demos_sources_are_used_after_make_run(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "sources.demo.yaml").write_text(
        "sources:\n- id: demo-seul\n  name: Démo\n  homepage: http://127.0.0.2:8800/\n  region: '11'\n"
        "  feeds: [http://127.0.0.2:8800/feed/]\n  private_hosts: ['127.0.0.2']\n", encoding="utf-8")
    result = run(tmp_path, "sources", "list")
    assert result.exit_code == 0, result.output
    assert "demo-seul" in result.output and "sources du réseau de démonstration" in result.output
    other = tmp_path / "autres.yaml"
    other.write_text("sources: []\n", encoding="utf-8")
    told = run(tmp_path, "--sources", str(other), "sources", "list")
    assert "demo-seul" not in told.output


def test_users_reset_link_and_french_click_messages(tmp_path):
    assert run(tmp_path, "users", "add", "a@example.org", "--password", "mot-de-passe-long").exit_code == 0
    link = run(tmp_path, "users", "reset-link", "a@example.org")
    assert link.exit_code == 0 and "/mot-de-passe/" in link.output
    missing = run(tmp_path, "users", "reset-link", "personne@example.org")
    assert missing.exit_code != 0 and "aucun compte" in missing.output
    wrong = run(tmp_path, "search", "--nope")
    assert wrong.exit_code == 2 and "Option inconnue" in wrong.output and "Utilisation :" in wrong.output
    prompt = CliRunner().invoke(main, ["--data-dir", str(tmp_path / "data"), "users", "add", "b@example.org"],
                                input="mot-de-passe-long\nautre-chose-long\nmot-de-passe-long\nmot-de-passe-long\n",
                                env={"CRPV_WATCH_SECRET_KEY": "x"})
    assert "Saisissez-le à nouveau pour confirmer" in prompt.output and "ne sont pas identiques" in prompt.output
