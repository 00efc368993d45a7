"""A network puts its own name on the service: name, description, logo and contact in the header, the footer,
the mails and the OpenSearch description."""

from __future__ import annotations

from conftest import fast_settings

from crpv_watch.digest.render import Renderer
from crpv_watch.services import Services
from crpv_watch.web.app import create_app


def test_identity_everywhere(tmp_path):
    logo = tmp_path / "logo.svg"
    logo.write_text('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10"/></svg>')
    settings = fast_settings(tmp_path, site_name="Ressources Quartiers Sud", site_description="La veille du réseau sud",
                             site_logo=str(logo), publisher_contact="veille@reseau-sud.example")
    app = create_app(services=Services(settings))
    client = app.test_client()
    html = client.get("/").get_data(as_text=True)
    assert "Ressources Quartiers Sud" in html and "La veille du réseau sud" in html
    assert 'src="/logo"' in html and "mailto:veille@reseau-sud.example" in html
    resp = client.get("/logo")
    assert resp.status_code == 200 and resp.mimetype == "image/svg+xml"
    xml = client.get("/opensearch.xml").get_data(as_text=True)
    assert "<LongName>Ressources Quartiers Sud</LongName>" in xml and "La veille du réseau sud" in xml
    assert "<Contact>veille@reseau-sud.example</Contact>" in xml
    subject, text, mail = Renderer(settings, lambda facet, value: value).confirmation("Tous les documents",
                                                                                      "weekly", "http://x/c")
    assert subject.startswith("Ressources Quartiers Sud") and "La veille du réseau sud" in mail
    assert "veille@reseau-sud.example" in mail and "/logo" in mail


def test_no_logo_by_default(tmp_path):
    app = create_app(services=Services(fast_settings(tmp_path)))
    client = app.test_client()
    assert client.get("/logo").status_code == 404
    assert 'src="/logo"' not in client.get("/").get_data(as_text=True)
