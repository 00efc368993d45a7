"""The source form: the fields of ``sources.Source`` with French labels, hints and per-field checks.

These checks give quick French messages next to each field; the authoritative validation is the CLI's, run on
the candidate file before it replaces the real one (``sources_write``).
"""

from __future__ import annotations

import re
from dataclasses import MISSING, fields

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FloatField,
    HiddenField,
    IntegerField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ...crawl.patterns import pattern_problem
from ...sources.load import KNOWN_KEYS, SLUG, Source, private_host_problem, schedule_problem, url_problem


def lines(value: str | None) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


def codes(value: str | None) -> list[str]:
    return [c.strip() for c in re.split(r"[,;\s]+", value or "") if c.strip()]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _url(_form, field) -> None:
    if field.data and url_problem(field.data.strip()):
        raise ValidationError("Adresse invalide : saisissez une adresse complète commençant par http:// ou https://.")


def _url_lines(_form, field) -> None:
    bad = [u for u in lines(field.data) if url_problem(u)]
    if bad:
        raise ValidationError("Adresse(s) invalide(s) : " + ", ".join(bad[:5])
                              + ". Une adresse complète par ligne, commençant par http:// ou https://.")


def _regex_lines(_form, field) -> None:
    for pattern in lines(field.data):
        if pattern_problem(pattern):
            raise ValidationError(f"Expression régulière refusée « {pattern} » : les motifs sont exécutés par RE2, "
                                  "en temps linéaire ; les références arrière (\\1) et les assertions (?=…), (?!…), "
                                  "(?<=…) n'y existent pas. Réécrivez le motif sans elles.")


def _host_lines(_form, field) -> None:
    bad = [h for h in lines(field.data) if private_host_problem(h)]
    if bad:
        raise ValidationError("Hôte(s) invalide(s) : " + ", ".join(bad[:5])
                              + ". Un nom d'hôte ou une adresse IP par ligne, sans http:// ni chemin.")


def _schedule(_form, field) -> None:
    if field.data and schedule_problem(field.data.strip()):
        raise ValidationError("Saisissez daily, weekly ou une expression cron à 5 champs (ex. 0 6 * * 1-5).")


class SourceForm(FlaskForm):
    SOURCE_FIELDS = set(KNOWN_KEYS)

    id = StringField("Identifiant", validators=[DataRequired("Saisissez un identifiant."), Length(max=100),
                                                Regexp(SLUG, message="Lettres minuscules, chiffres et tirets "
                                                                     "uniquement (ex. centre-ressources-84).")],
                     description="Lettres minuscules, chiffres et tirets. Il ne pourra plus être modifié.",
                     render_kw={"spellcheck": "false", "autocomplete": "off"})
    name = StringField("Nom du centre ou du site", validators=[DataRequired("Saisissez le nom."), Length(max=300)])
    homepage = StringField("Page d'accueil", validators=[DataRequired("Saisissez l'adresse de la page d'accueil."),
                                                         Length(max=2000), _url],
                           description="Adresse complète, ex. https://www.exemple.fr/",
                           render_kw={"inputmode": "url", "spellcheck": "false"})
    region = MultiCheckboxField("Région(s) couvertes", choices=[], validate_choice=True)
    departments = StringField("Départements (périmètre départemental)", validators=[Length(max=300)],
                              description="Codes séparés par des virgules, ex. 93, 94. Laisser vide sinon.")
    feeds = TextAreaField("Flux RSS ou Atom", validators=[Length(max=20_000), _url_lines],
                          description="Une adresse par ligne.", render_kw={"rows": 3, "spellcheck": "false"})
    start_urls = TextAreaField("Pages de liste (rubriques, publications)", validators=[Length(max=20_000), _url_lines],
                               description="Une adresse par ligne ; la pagination est suivie.",
                               render_kw={"rows": 3, "spellcheck": "false"})
    include = TextAreaField("Adresses à suivre en plus (expressions régulières)",
                            validators=[Length(max=5_000), _regex_lines],
                            description="Une expression par ligne, ex. un hébergeur de PDF externe.",
                            render_kw={"rows": 2, "spellcheck": "false"})
    exclude = TextAreaField("Adresses à ignorer (expressions régulières)", validators=[Length(max=5_000), _regex_lines],
                            description="Une expression par ligne, ex. /agenda/", render_kw={"rows": 2,
                                                                                           "spellcheck": "false"})
    themes = MultiCheckboxField("Thèmes par défaut", choices=[], validate_choice=True)
    schedule = StringField("Fréquence de collecte", default="daily",
                           validators=[DataRequired("Saisissez une fréquence."), Length(max=100), _schedule],
                           description="daily (chaque nuit), weekly (chaque dimanche) ou une expression cron à "
                                       "5 champs, ex. 0 6 * * 1-5")
    enabled = BooleanField("Source activée (collectée selon la fréquence)", default=True)
    private_hosts = TextAreaField("Hôtes du réseau privé autorisés",
                                  validators=[Length(max=2_000), _host_lines],
                                  description="Réservé aux administrateurs : un nom d'hôte ou une adresse IP par "
                                              "ligne (intranet, démonstration). Les adresses lien-local, de "
                                              "métadonnées et locales uniques restent toujours refusées.",
                                  render_kw={"rows": 2, "spellcheck": "false"})
    crawl_delay = FloatField("Délai entre deux requêtes (secondes)",
                             validators=[Optional(), NumberRange(min=0, max=600, message="Entre 0 et 600.")],
                             description="Laisser vide pour la valeur générale.")
    max_pages = IntegerField("Nombre maximal de pages",
                             validators=[Optional(), NumberRange(min=1, max=100_000, message="Au moins 1.")],
                             description="Laisser vide pour la valeur générale.")
    max_depth = IntegerField("Profondeur maximale",
                             validators=[Optional(), NumberRange(min=0, max=20, message="Entre 0 et 20.")],
                             description="Laisser vide pour la valeur générale.")
    sitemaps = BooleanField("Utiliser aussi les plans du site (sitemaps)",
                            description="Pour les sites sans flux ni rubrique de publications exploitable.")
    notes = TextAreaField("Notes pour l'équipe", validators=[Length(max=2_000)], render_kw={"rows": 2})
    stamp = HiddenField()
    test = SubmitField("Tester")
    save = SubmitField("Enregistrer")

    def __init__(self, *args, vocabulary=None, source: Source | None = None, admin: bool = False, **kwargs):
        if source is not None and "data" not in kwargs:
            kwargs["data"] = {**{k: getattr(source, k) for k in KNOWN_KEYS},
                              "departments": ", ".join(source.departments), "feeds": "\n".join(source.feeds),
                              "start_urls": "\n".join(source.start_urls), "include": "\n".join(source.include),
                              "exclude": "\n".join(source.exclude), "private_hosts": "\n".join(source.private_hosts)}
        super().__init__(*args, **kwargs)
        self._source, self._admin = source, admin
        if vocabulary is not None:
            self.region.choices = sorted(vocabulary.regions.items(), key=lambda kv: kv[1])
            self.themes.choices = sorted(((t.id, t.label) for t in vocabulary.themes.values()), key=lambda kv: kv[1])
        if source is not None:
            self.id.render_kw = {**(self.id.render_kw or {}), "readonly": True}

    def validate_id(self, field) -> None:
        if self._source is not None and field.data != self._source.id:
            raise ValidationError("L'identifiant d'une source existante ne peut pas changer.")

    def validate_private_hosts(self, field) -> None:
        current = self._source.private_hosts if self._source else []
        if not self._admin and field.data is not None and lines(field.data) != list(current):
            raise ValidationError("Seul un administrateur peut autoriser des hôtes du réseau privé.")

    def url_change_needs_admin(self) -> bool:
        """An editor may not change where a source that reaches the private network points: its URLs are then
        an admin's decision, like its hosts (the Tester fetches them, the next crawl publishes what they hold)."""
        source = self._source
        if self._admin or source is None or not source.private_hosts:
            return False
        return (self.homepage.data or "").strip() != source.homepage or lines(self.feeds.data) != source.feeds \
            or lines(self.start_urls.data) != source.start_urls


def form_values(form: SourceForm, source: Source | None, admin: bool) -> dict:
    """The form as ``Source`` values (the order of ``KNOWN_KEYS``)."""
    private_hosts = lines(form.private_hosts.data) if admin else (list(source.private_hosts) if source else [])
    values = {
        "id": source.id if source else form.id.data.strip(),
        "name": form.name.data.strip(),
        "homepage": form.homepage.data.strip(),
        "region": list(form.region.data or []),
        "feeds": lines(form.feeds.data),
        "start_urls": lines(form.start_urls.data),
        "include": lines(form.include.data),
        "exclude": lines(form.exclude.data),
        "themes": list(form.themes.data or []),
        "schedule": form.schedule.data.strip(),
        "enabled": bool(form.enabled.data),
        "private_hosts": private_hosts,
        "crawl_delay": form.crawl_delay.data,
        "max_pages": form.max_pages.data,
        "max_depth": form.max_depth.data,
        "departments": codes(form.departments.data),
        "notes": (form.notes.data or "").strip(),
        "sitemaps": bool(form.sitemaps.data),
    }
    # Keys the form does not show (added to the schema later) keep the source's value, or the default.
    defaults = {f.name: (getattr(source, f.name) if source else
                         (f.default_factory() if f.default_factory is not MISSING else f.default))
                for f in fields(Source) if f.name not in values}
    return {k: values[k] if k in values else defaults[k] for k in KNOWN_KEYS}
