"""The five fictional centres of the demo network: identity, shape, address offset, chrome vocabulary."""

from __future__ import annotations

from dataclasses import dataclass

# Words that appear only in page chrome (cookie banner, menu, aside, share buttons, footer), never in main text.
CHROME_WORDS = ["biscuitconsentement", "Quartiorama", "Lectorama", "Partagix", "Pixelmoulin"]

COOKIE_TEXT = ("Ce site utilise des traceurs de mesure d’audience (module biscuitconsentement). "
               "Vous pouvez les accepter ou les refuser à tout moment.")
FOOTER_CREDIT = "Site réalisé par l’agence Pixelmoulin – hébergement mutualisé"
MEMBER_AREA = "Espace Quartiorama"
RELATED_MORE = "Toutes nos lectures sur Lectorama"
SHARE_LABEL = "Partager avec Partagix"


@dataclass(frozen=True)
class SiteDef:
    key: str  # shape key used by the catalogue
    source_id: str
    name: str  # full name
    short: str  # used in titles and signatures
    shape: str  # "rss" | "atom" | "listing" | "pdf" | "portal"
    region: str  # INSEE region code
    offset: int  # address = first_address + offset
    title_sep: str  # between the article title and the site name in <title>
    tagline: str


SITES: list[SiteDef] = [
    SiteDef("rss", "demo-passerelles", "Passerelles – centre de ressources politique de la ville des Hauts-de-France",
            "Passerelles", "rss", "32", 0, " – ",
            "Centre de ressources politique de la ville des Hauts-de-France"),
    SiteDef("atom", "demo-trame-urbaine", "Trame Urbaine – ressources pour les quartiers d’Auvergne-Rhône-Alpes",
            "Trame Urbaine", "atom", "84", 1, " | ",
            "Ressources et qualification des acteurs des quartiers en Auvergne-Rhône-Alpes"),
    SiteDef("spip", "demo-carrefour-quartiers", "Carrefour des Quartiers – centre de ressources du Grand Est",
            "Carrefour des Quartiers", "listing", "44", 2, " - ",
            "Centre de ressources politique de la ville du Grand Est"),
    SiteDef("pdf", "demo-atelier-cohesion", "Atelier Cohésion – centre de ressources de Nouvelle-Aquitaine",
            "Atelier Cohésion", "pdf", "75", 3, " – ",
            "Centre de ressources politique de la ville de Nouvelle-Aquitaine"),
    SiteDef("portail", "demo-seine-quartiers", "Seine-Quartiers – portail des acteurs de la politique de la ville en Île-de-France",
            "Seine-Quartiers", "portal", "11", 4, " | ",
            "Le portail des acteurs de la politique de la ville en Île-de-France"),
]
SITE_BY_KEY = {s.key: s for s in SITES}


def address(first_address: str, offset: int) -> str:
    parts = first_address.split(".")
    return ".".join(parts[:3] + [str(int(parts[3]) + offset)])
