"""Error pages and API error bodies, in French, for every audience (HTML for pages, JSON under /api/)."""

from __future__ import annotations

from flask import jsonify, render_template, request

ERROR_MESSAGES = {
    400: ("Requête invalide", "La requête n'a pas pu être traitée. Vérifiez les informations saisies et réessayez."),
    403: ("Accès refusé", "Votre compte n'a pas les droits nécessaires pour consulter cette page."),
    404: ("Page introuvable", "La page ou le document demandé n'existe pas, n'existe plus ou a été retiré."),
    405: ("Méthode non autorisée", "Cette adresse ne peut pas être utilisée de cette façon."),
    429: ("Trop de tentatives", "Trop de tentatives en peu de temps. Patientez quelques minutes avant de réessayer."),
    500: ("Erreur du serveur", "Une erreur inattendue s'est produite. Réessayez dans quelques instants."),
}
CSRF_MESSAGE = ("Le formulaire a expiré ou son jeton de sécurité est absent. "
                "Rechargez la page puis envoyez à nouveau le formulaire.")


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(code: int, message: str | None = None):
    # Codes without their own wording keep their status and borrow the generic client or server message.
    title, default = ERROR_MESSAGES.get(code) or ERROR_MESSAGES[400 if code < 500 else 500]
    message = message or default
    if _wants_json():
        return jsonify({"error": title, "message": message, "status": code}), code
    return render_template("errors/error.html", code=code, title=title, message=message), code
