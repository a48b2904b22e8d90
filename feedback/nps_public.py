"""The NPS answer page and "no more surveys", reached from a link without signing in.

As on the CSAT page, a GET records nothing (mail scanners fetch every link): the score from
the link is shown preselected in a POST form that `answer.js` submits at once, so the
customer's one click in the mail counts, and a fetcher that runs no script changes nothing.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from .models import NpsRecipient, SurveyOptOut
from .nps_forms import NpsAnswerForm
from .public_views import _link_problem
from .services import nps_answers
from .tokens import BadToken, ExpiredToken


@never_cache
@require_http_methods(["GET", "POST"])
def nps_answer_page(request, token: str):
    try:
        recipient = nps_answers.recipient_for_token(token)
    except ExpiredToken:
        return _link_problem(request, expired=True)
    except BadToken:
        return _link_problem(request, expired=False)
    with translation.override(recipient.language):
        request.LANGUAGE_CODE = recipient.language
        return _answer_page(request, recipient)


def _answer_page(request, recipient: NpsRecipient) -> HttpResponse:
    error = ""
    if request.method == "POST":
        form = NpsAnswerForm(request.POST)
        if form.is_valid():
            try:
                nps_answers.check_answer_rate(recipient=recipient)
                nps_answers.record_score(
                    recipient=recipient,
                    score=form.cleaned_data["score"],
                    comment=form.cleaned_data["comment"],
                )
            except nps_answers.NpsAnswerError as exc:
                error = str(exc)
            else:
                return redirect(f"{request.path}?done=1")
        elif "score" in form.errors:
            error = _("Please choose a score from 0 to 10.")
        else:
            error = _("Please keep your comment under %(count)s characters.") % {
                "count": nps_answers.MAX_COMMENT_CHARS
            }
        recipient.refresh_from_db()
    try:
        chosen: int | None = int(request.GET.get("score", ""))
    except ValueError:  # absent, or anything a hand-edited link may carry
        chosen = None
    chosen = chosen if chosen is not None and 0 <= chosen <= 10 else None
    deadline = nps_answers.change_deadline(recipient)
    locked = deadline is not None and timezone.now() > deadline
    answered = recipient.score is not None
    context = {
        "recipient": recipient,
        "question": recipient.campaign.question(recipient.language),
        "scores": list(range(11)),
        "chosen": chosen,
        "current": chosen if chosen is not None else recipient.score,
        "answered": answered,
        "locked": locked,
        "deadline": deadline,
        "done": bool(request.GET.get("done")) and answered,
        "error": error,
        # One click in the mail: submit the preselected score at once, unless it is already
        # the recorded one (a second visit of the same link just shows it).
        "autosubmit": chosen is not None
        and not locked
        and not error
        and not request.GET.get("done")
        and recipient.score != chosen,
    }
    return render(request, "feedback/nps_answer.html", context, status=400 if error else 200)


@never_cache
@require_http_methods(["GET", "POST"])
def nps_opt_out_page(request, token: str):
    """The GET asks, the POST (CSRF-checked) records it."""
    try:
        recipient = nps_answers.recipient_for_opt_out(token)
    except (BadToken, ExpiredToken):
        return _link_problem(request, expired=False)
    language = recipient.language
    with translation.override(language):
        request.LANGUAGE_CODE = language
        done = SurveyOptOut.objects.filter(customer_id=recipient.customer_id).exists()
        if request.method == "POST" and not done:
            nps_answers.opt_out(customer=recipient.customer)
            return redirect(request.path)
        return render(request, "feedback/nps_opt_out.html", {"done": done})
