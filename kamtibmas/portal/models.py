"""Public portal content: safety news and education articles, public alerts (published as a
page, in an Atom feed and as CAP 1.2 documents) and residents' area subscriptions.

All of it is edited by public relations (Humas); nothing here holds data about a reporter."""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


def new_token() -> str:
    return secrets.token_urlsafe(24)


class Article(models.Model):
    class Kind(models.TextChoices):
        NEWS = "news", _("Safety news")
        EDUCATION = "education", _("Education")

    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.NEWS)
    title_id = models.CharField(_("title (Indonesian)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    summary_id = models.CharField(_("summary (Indonesian)"), max_length=300, blank=True)
    summary_en = models.CharField(_("summary (English)"), max_length=300, blank=True)
    body_id = models.TextField(_("text (Indonesian)"))
    body_en = models.TextField(_("text (English)"), blank=True)
    image = models.ImageField(_("image"), upload_to="portal/articles/%Y/", blank=True)
    is_published = models.BooleanField(_("published"), default=False)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, db_index=True)
    is_synthetic = models.BooleanField(_("synthetic (demo)"), default=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-published_at", "-created_at"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")

    def __str__(self) -> str:
        return self.title_id


class PublicAlert(models.Model):
    """A public alert issued by public relations, e.g. a series of motorbike thefts in one
    kelurahan. Published alerts are immutable in substance: a correction is a new alert of
    ``msg_type`` Update (or Cancel) that ``references`` the earlier one, as CAP requires."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    class MsgType(models.TextChoices):
        # The values are CAP's msgType; the labels are what staff read on the alert pages.
        ALERT = "Alert", pgettext_lazy("CAP message type", "Alert")
        UPDATE = "Update", pgettext_lazy("CAP message type", "Update")
        CANCEL = "Cancel", pgettext_lazy("CAP message type", "Cancel")

    class Severity(models.TextChoices):
        EXTREME = "Extreme", _("Extreme")
        SEVERE = "Severe", _("Severe")
        MODERATE = "Moderate", _("Moderate")
        MINOR = "Minor", _("Minor")

    class Urgency(models.TextChoices):
        # With a context: "Expected" elsewhere is a statistic ("expected count").
        IMMEDIATE = "Immediate", pgettext_lazy("alert urgency", "Immediate")
        EXPECTED = "Expected", pgettext_lazy("alert urgency", "Expected")
        FUTURE = "Future", pgettext_lazy("alert urgency", "Future")

    class Certainty(models.TextChoices):
        OBSERVED = "Observed", _("Observed")
        LIKELY = "Likely", _("Likely")
        POSSIBLE = "Possible", _("Possible")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)  # CAP identifier
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    msg_type = models.CharField(max_length=8, choices=MsgType.choices, default=MsgType.ALERT)
    references = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="updates"
    )
    offence_category = models.CharField(_("offence category"), max_length=40, blank=True)
    headline_id = models.CharField(_("headline (Indonesian)"), max_length=160)
    headline_en = models.CharField(_("headline (English)"), max_length=160, blank=True)
    description_id = models.TextField(_("description (Indonesian)"))
    description_en = models.TextField(_("description (English)"), blank=True)
    instruction_id = models.TextField(_("what to do (Indonesian)"), blank=True)
    instruction_en = models.TextField(_("what to do (English)"), blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.MODERATE)
    urgency = models.CharField(max_length=10, choices=Urgency.choices, default=Urgency.EXPECTED)
    certainty = models.CharField(max_length=10, choices=Certainty.choices, default=Certainty.LIKELY)
    kelurahan = models.ManyToManyField(
        "geo.Kelurahan", related_name="public_alerts", verbose_name=_("area (kelurahan)")
    )
    effective_at = models.DateTimeField(_("effective from"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, db_index=True)
    is_synthetic = models.BooleanField(_("synthetic (demo)"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-published_at", "-created_at"]
        verbose_name = _("public alert")
        verbose_name_plural = _("public alerts")

    def __str__(self) -> str:
        return self.headline_id


class Subscription(models.Model):
    """A resident's subscription to alerts and monthly statistics of one kelurahan."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        SMS = "sms", "SMS"
        WHATSAPP = "whatsapp", "WhatsApp"

    kelurahan = models.ForeignKey(
        "geo.Kelurahan", on_delete=models.CASCADE, related_name="subscriptions"
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    recipient = models.CharField(_("address or number"), max_length=254)
    wants_alerts = models.BooleanField(_("alerts"), default=True)
    wants_monthly = models.BooleanField(_("monthly statistics"), default=True)
    # Secret of the one-click unsubscribe (and confirm) links in every message.
    token = models.CharField(max_length=64, unique=True, default=new_token)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    last_monthly_sent = models.CharField(max_length=7, blank=True)  # "2026-10"
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kelurahan", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["kelurahan", "channel", "recipient"], name="one_subscription_per_address"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kelurahan} {self.channel} #{self.pk}"


class AlertDelivery(models.Model):
    """One alert queued for one subscription (so an alert reaches each subscriber once)."""

    alert = models.ForeignKey(PublicAlert, on_delete=models.CASCADE, related_name="deliveries")
    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    queued_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["alert", "subscription"], name="one_delivery_each")
        ]

    def __str__(self) -> str:
        return f"{self.alert_id} -> {self.subscription_id}"
