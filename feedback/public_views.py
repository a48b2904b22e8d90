"""Pages customers reach from a link in a survey or follow-up, without signing in.

A GET never records anything: mail security scanners and link previews fetch every link in a
mail, and would otherwise rate for the customer. The link's choice is shown preselected in a
POST form that a small static script submits as soon as the page loads, so a person who clicks
"Good" in the mail has rated with that one click, while a fetcher that runs no script records
nothing. Without scripts the customer presses the one highlighted button. Every POST carries the
CSRF token, and answers per survey are rate-limited.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from customers.models import Customer

from .forms import FixedForm, RatingForm
from .models import (
    FeedbackOptOut,
    FollowUp,
    FollowUpKind,
    FollowUpStatus,
    Survey,
    SurveyResponse,
    SurveyStatus,
)
from .services import followups as followup_services
from .services import items as item_services
from .services import surveys as survey_services
from .services.common import customer_language, within_rate
from .tokens import (
    FOLLOWUP_SALT,
    OPT_OUT_SALT,
    SURVEY_SALT,
    BadToken,
    ExpiredToken,
    read_token,
)

# Past the row's own expiry this is only a ceiling for the signature check.
HARD_MAX_AGE = timezone.timedelta(days=3660)


def _link_problem(request, *, expired: bool, language: str | None = None) -> HttpResponse:
    # A link we cannot read names no customer: speak the visitor's own (browser) language.
    with translation.override(language or translation.get_language()):
        return render(
            request,
            "feedback/link_problem.html",
            {"expired": expired},
            status=410 if expired else 404,
        )


def _survey_for(token: str) -> Survey:
    claims = read_token(token, salt=SURVEY_SALT, max_age=HARD_MAX_AGE)
    survey = (
        Survey.objects.select_related("ticket", "customer")
        .filter(pk=claims.pk, status=SurveyStatus.SENT)
        .first()
    )
    if survey is None or survey.nonce != claims.nonce:
        raise BadToken
    if survey.expires_at and timezone.now() > survey.expires_at:
        raise ExpiredToken
    return survey


@never_cache
@require_http_methods(["GET", "POST"])
def survey_page(request, token: str):
    try:
        survey = _survey_for(token)
    except ExpiredToken:
        return _link_problem(request, expired=True)
    except BadToken:
        return _link_problem(request, expired=False)
    with translation.override(survey.language):
        request.LANGUAGE_CODE = survey.language
        return _survey_page(request, survey)


def _survey_page(request, survey: Survey) -> HttpResponse:
    error = ""
    if request.method == "POST":
        form = RatingForm(request.POST)
        if form.is_valid():
            try:
                survey_services.check_rating_rate(survey=survey)
                survey_services.record_rating(
                    survey=survey,
                    answer=survey_services.RatingInput(**form.cleaned_data),
                )
            except survey_services.RatingError as exc:
                error = str(exc)
            else:
                return redirect(f"{request.path}?done=1")
        elif "rating" in form.errors:
            error = _("Please choose one of the ratings shown.")
        else:
            error = " ".join(message for messages in form.errors.values() for message in messages)
    response = SurveyResponse.objects.filter(survey=survey).first()
    return render(
        request,
        "feedback/survey.html",
        _survey_context(request, survey, response, error),
        status=400 if error else 200,
    )


def _survey_context(request, survey: Survey, response, error: str) -> dict:
    conf = survey_services.settings_for(survey.channel)
    values = survey_services.rating_values(survey.scale)
    try:
        chosen: int | None = int(request.GET.get("rating", ""))
    except ValueError:  # absent, or anything a hand-edited link may carry
        chosen = None
    chosen = chosen if chosen in values else None
    locked = bool(response) and timezone.now() > survey_services.change_deadline(response)
    return {
        "survey": survey,
        "ticket": survey.ticket,
        "question": conf.question(survey.language),
        "choices": [
            {
                "value": value,
                "label": survey_services.rating_label(survey.scale, value),
                "good": survey_services.rating_is_good(survey.scale, value),
            }
            for value in values
        ],
        "reasons": conf.reasons(survey.language),
        "response": response,
        "chosen": chosen,
        # One click in the mail: submit the preselected rating at once, unless it is already
        # the recorded one (a second visit of the same link just shows it).
        "autosubmit": chosen is not None
        and not locked
        and not error
        and not request.GET.get("done")
        and (response is None or response.rating != chosen),
        "locked": locked,
        "done": bool(request.GET.get("done")) and response is not None,
        "error": error,
        "deadline": survey_services.change_deadline(response) if response else None,
    }


def _followup_for(token: str) -> FollowUp:
    claims = read_token(token, salt=FOLLOWUP_SALT, max_age=HARD_MAX_AGE)
    followup = (
        FollowUp.objects.select_related("ticket")
        .filter(
            pk=claims.pk,
            kind=FollowUpKind.AFTER_SOLVE,
            status__in=(FollowUpStatus.SENT, FollowUpStatus.ANSWERED),
        )
        .first()
    )
    if followup is None or followup.nonce != claims.nonce:
        raise BadToken
    if followup.sent_at and timezone.now() > followup.sent_at + timezone.timedelta(days=60):
        raise ExpiredToken
    return followup


@never_cache
@require_http_methods(["GET", "POST"])
def followup_page(request, token: str):
    try:
        followup = _followup_for(token)
    except ExpiredToken:
        return _link_problem(request, expired=True)
    except BadToken:
        return _link_problem(request, expired=False)
    language = followup.language or settings.LANGUAGE_CODE
    with translation.override(language):
        request.LANGUAGE_CODE = language
        return _followup_page(request, followup)


def _followup_page(request, followup: FollowUp) -> HttpResponse:
    error = ""
    if request.method == "POST":
        form = FixedForm(request.POST)
        if not within_rate(f"feedback:followup-posts:{followup.pk}", 30):
            error = _("Too many answers in a short time. Please try again in an hour.")
        elif form.is_valid():
            try:
                followup_services.answer_followup(
                    followup=followup, fixed=form.cleaned_data["fixed"] == "yes"
                )
            except followup_services.FollowUpError as exc:
                error = str(exc)
            else:
                return redirect(request.path)
        else:
            error = _("Please choose one of the answers shown.")
        followup.refresh_from_db()
    chosen = request.GET.get("fixed", "")
    return render(
        request,
        "feedback/followup.html",
        {
            "followup": followup,
            "ticket": followup.ticket,
            "chosen": chosen if chosen in ("yes", "no") else "",
            "autosubmit": chosen in ("yes", "no")
            and followup.status == FollowUpStatus.SENT
            and not error,
            "error": error,
        },
        status=400 if error else 200,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def opt_out_page(request, token: str):
    """ "Stop these updates": the GET asks, the POST (CSRF-checked) records it."""
    try:
        claims = read_token(token, salt=OPT_OUT_SALT, max_age=HARD_MAX_AGE)
        customer = Customer.objects.filter(pk=claims.pk).first()
        if customer is None or claims.nonce:
            raise BadToken
    except (BadToken, ExpiredToken):
        return _link_problem(request, expired=False)
    language = customer_language(customer)
    with translation.override(language):
        request.LANGUAGE_CODE = language
        done = FeedbackOptOut.objects.filter(customer=customer).exists()
        if request.method == "POST" and not done:
            item_services.opt_out(customer=customer)
            return redirect(request.path)
        return render(request, "feedback/opt_out.html", {"done": done})
