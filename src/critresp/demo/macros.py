"""The demo macro library: reply templates for every stage of an incident.

Templates are Jinja2 (rendered in a sandbox with StrictUndefined by
``critresp.domain.macros``). The context they expect:

``case``       ``id``, ``category`` (code), ``category_title``, ``tier`` (int 0..3),
               ``order_id`` (``None`` when the case has no order)
``recipient``  ``first_name``, ``role`` ("customer" / "shopper" / "retailer")
``associate``  ``first_name``
``appeal``     ``url``, ``deadline_days``
``channel``    "email" / "sms" / "phone" / "internal"

No template names the reporter: messages to the subject of a report never say
who reported them. SMS bodies are plain GSM-7 text that fits two segments.
Enforcement notices say what was actioned, why, which rule, and how to appeal.
"""

from __future__ import annotations

from typing import Any

from ..domain.records import MacroRecord
from ..domain.taxonomy import Channel, PartyRole

__all__ = ["macro_library", "T0_CATEGORIES"]

C, S, R = PartyRole.CUSTOMER, PartyRole.SHOPPER, PartyRole.RETAILER

T0_CATEGORIES = ("assault", "weapon", "sexual_misconduct", "crash_injury", "stalking", "self_harm_medical")
T1_SAFETY = ("discrimination", "reckless_driving", "doxxing", "staff_harassment")
CONDUCT = ("profanity", "rude_tone", "inappropriate_questions", "discrimination", "uncategorized")

# --- shared fragments ------------------------------------------------------

HI = "Hi {{ recipient.first_name }},\n\n"
SIGN = "\n\n{{ associate.first_name }}\nTrust & Safety team"
REF = "{% if case.order_id %}order {{ case.order_id }}{% else %}case {{ case.id }}{% endif %}"
REF_SMS = "{% if case.order_id %}order {{ case.order_id }}{% else %}case {{ case.id }}{% endif %}"
ACCOUNT = (
    "{% if recipient.role == 'shopper' %}shopper account"
    "{% elif recipient.role == 'retailer' %}store account"
    "{% else %}customer account{% endif %}"
)
APPEAL = (
    "How to appeal: if you believe this decision is wrong, you can appeal within "
    "{{ appeal.deadline_days }} days at {{ appeal.url }} (please quote case {{ case.id }}). "
    "A different member of our team will review your appeal and reply by email."
)
APPEAL_SMS = "Appeal within {{ appeal.deadline_days }} days: {{ appeal.url }}"
APPEAL_PHONE = (
    "- Explain the appeal: they can appeal within {{ appeal.deadline_days }} days at {{ appeal.url }};\n"
    "  a different team member reviews it. Offer to send the link by email."
)
DANGER = "If you are in immediate danger, please call 911 first."
# shared by the email and SMS bodies of a macro: says how to answer on that channel
REPLY_HOW = "{% if channel == 'sms' %}Reply to this text{% else %}Reply to this email{% endif %}"


# who on the case each macro speaks to (the rest: anyone)
_REPORTER_MACROS = frozenset({
    "t0-safety-ack", "t0-crisis-support", "t0-stalking-safety", "ack-reporter", "ack-discrimination",
    "info-request-evidence", "outcome-actioned-reporter", "outcome-no-violation-reporter",
    "withdrawn-confirmation", "missing-item-refund",
})
_SUBJECT_MACROS = frozenset({"info-request-subject", "outcome-cleared-subject"})


def _audience(id: str, notice: bool) -> str:
    if notice or id in _SUBJECT_MACROS:
        return "subject"  # enforcement notices go to the person actioned
    return "reporter" if id in _REPORTER_MACROS else "any"


def _m(
    id: str,
    title: str,
    *,
    tone: str = "neutral",
    cats: tuple[str, ...] = (),
    roles: tuple[PartyRole, ...] = (),
    subject: str | None = None,
    email: str | None = None,
    sms: str | None = None,
    phone: str | None = None,
    internal: str | None = None,
    notice: bool = False,
    actions: dict[str, Any] | None = None,
) -> MacroRecord:
    channels: list[Channel] = []
    if email is not None:
        channels.append(Channel.EMAIL)
    if sms is not None:
        channels.append(Channel.SMS)
    if phone is not None:
        channels.append(Channel.PHONE)
    if internal is not None:
        channels.append(Channel.INTERNAL)
    return MacroRecord(
        id=id,
        title=title,
        categories=cats,
        recipient_roles=roles,
        channels=tuple(channels),
        tone=tone,  # type: ignore[arg-type]
        email_subject=subject,
        email_body=email,
        sms_body=sms,
        phone_script=phone,
        internal_body=internal,
        is_enforcement_notice=notice,
        actions=actions or {},
        audience=_audience(id, notice),  # type: ignore[arg-type]
    )


def _notice(
    id: str,
    title: str,
    *,
    level: int,
    rule: str,
    rule_text: str,
    what: str,
    what_sms: str,
    means: str,
    cats: tuple[str, ...] = (),
    roles: tuple[PartyRole, ...] = (),
    extra_action: dict[str, Any] | None = None,
    phone: bool = False,
) -> MacroRecord:
    """An enforcement notice: what was actioned, why, which rule, how to appeal."""
    subject_line = {
        1: "A warning on your account",
        2: "A restriction on your account",
        3: "Your account is suspended",
        4: "Your account has been deactivated",
    }[level] + " - case {{ case.id }}"
    email = (
        HI
        + "We reviewed a report connected to " + REF + " ({{ case.category_title }}) and found that it "
        "broke our Community Guidelines.\n\n"
        "What we did: " + what + "\n"
        "Why: our review of " + REF + " found conduct that falls under {{ case.category_title }}.\n"
        "Which rule: " + rule_text + " (" + rule + ").\n"
        "What this means: " + means + "\n\n"
        + APPEAL
        + SIGN
    )
    sms = (
        "Safety team: " + what_sms + " on your " + ACCOUNT + " (case {{ case.id }}, rule " + rule + "). "
        "Details by email. " + APPEAL_SMS
    )
    script = None
    if phone:
        script = (
            "Enforcement call - stay calm, factual and firm. Do not say who reported the issue.\n"
            "- Confirm you are speaking with {{ recipient.first_name }} (verify with the account email).\n"
            "- Say: \"I'm {{ associate.first_name }} from the Trust & Safety team, calling about case {{ case.id }}.\"\n"
            "- What we did: " + what + "\n"
            "- Why: the review of " + REF + " ({{ case.category_title }}); rule " + rule + ", " + rule_text + ".\n"
            + APPEAL_PHONE + "\n"
            "- If they become abusive: warn once, then end the call and add an internal note."
        )
    actions: dict[str, Any] = {"enforcement": {"level": level, "rule": rule}}
    if extra_action:
        actions["enforcement"].update(extra_action)
    return _m(
        id, title, tone="firm", cats=cats, roles=roles, subject=subject_line, email=email, sms=sms,
        phone=script, notice=True, actions=actions,
    )


def macro_library() -> list[MacroRecord]:
    """At least 30 macros across categories, recipient roles and channels."""
    lib: list[MacroRecord] = []
    add = lib.append

    # ------------------------------------------------------------ T0 safety
    add(_m(
        "t0-safety-ack", "T0 - safety first acknowledgement", tone="empathetic", cats=T0_CATEGORIES,
        roles=(C, S),
        subject="We're on it - case {{ case.id }}",
        email=HI + DANGER + "\n\n"
        "Thank you for telling us what happened. I'm {{ associate.first_name }} from the Safety team and I am "
        "personally handling case {{ case.id }} right now. Your safety comes first: "
        "{% if recipient.role == 'shopper' %}you do not need to complete any delivery you feel unsafe about, "
        "and this will not affect your ratings.{% else %}you do not need to open the door or respond to anyone "
        "connected to " + REF + ".{% endif %}\n\n"
        "I will contact you again within the hour. If anything changes, reply to this email." + SIGN,
        sms="Safety team: we got your report (case {{ case.id }}) and {{ associate.first_name }} is on it now. "
        "If you are in danger call 911 first. We will contact you within the hour.",
        phone="Safety-first call - T0. Lead with safety, not with questions.\n"
        "- Say: \"Hi {{ recipient.first_name }}, this is {{ associate.first_name }} from the Safety team about "
        "case {{ case.id }}. First: are you safe right now?\"\n"
        "- If NOT safe or anyone is hurt: tell them to call 911 now (or offer to stay on the line while they do).\n"
        "- If safe: ask where they are, whether the other person is still nearby, and the best number to reach them.\n"
        "- Explain next steps: we are reviewing now and will follow up within the hour.\n"
        "- Never promise a specific outcome; never name who else is involved.",
        actions={"status": "investigating", "tags": ["t0-contacted"]},
    ))
    add(_m(
        "t0-emergency-guidance", "T0 - emergency services guidance (call)", tone="empathetic",
        cats=T0_CATEGORIES, roles=(C, S),
        phone="Emergency guidance - use when someone is in danger or injured.\n"
        "- Say: \"{{ recipient.first_name }}, I want to make sure you get help right away. Please call 911 now.\"\n"
        "- Keep them on the line if they cannot call; ask for the exact address and whether anyone is injured.\n"
        "- Ask them to move to a safe place (lock the door, go to a neighbour, stay in a public area).\n"
        "- Do not ask them to confront anyone or to collect evidence now.\n"
        "- After emergency services are involved: note the time, agency and reference number in case {{ case.id }}.\n"
        "- Escalate the case to emergency services in the console.",
        sms="Safety team: please call 911 now if you or anyone is in danger or hurt. Move to a safe place. "
        "We will call you right after (case {{ case.id }}).",
        actions={"escalate": "emergency_services"},
    ))
    add(_m(
        "t0-welfare-check", "T0 - welfare check script", tone="empathetic",
        cats=("self_harm_medical", "crash_injury", "assault"), roles=(C, S),
        phone="Welfare check call.\n"
        "- Say: \"Hi {{ recipient.first_name }}, this is {{ associate.first_name }} from the Safety team. "
        "I'm calling to check that you are OK after what happened on " + REF + ".\"\n"
        "- Ask: \"Are you safe right now? Do you need medical help?\" If yes: guide them to call 911.\n"
        "- If they mention thoughts of self-harm: stay calm, listen, and share the 988 Suicide & Crisis Lifeline "
        "(call or text 988). Stay on the line until they are connected or safe.\n"
        "- If you cannot reach them after two attempts and there is a risk to life: request a welfare check "
        "through your lead and note it in case {{ case.id }}.\n"
        "{% if recipient.role == 'shopper' %}- Tell them they can pause deliveries with no effect on their "
        "account.\n{% endif %}"
        "- Close: give them a way to reach us and say when you will check in again.",
        internal="Welfare check on case {{ case.id }}: attempted at ____ (time). Reached: yes/no. "
        "Person safe: yes/no. Emergency services involved: yes/no, reference ____. Next check-in: ____.",
    ))
    add(_m(
        "t0-crisis-support", "T0 - crisis support resources", tone="empathetic",
        cats=("self_harm_medical",), roles=(C, S),
        subject="Support is available - case {{ case.id }}",
        email=HI + "I'm {{ associate.first_name }} from the Safety team. I wanted to reach out after " + REF + ". "
        "If you are having thoughts of harming yourself, you are not alone and support is available right now: "
        "call or text 988 (Suicide & Crisis Lifeline), or call 911 in an emergency.\n\n"
        "You don't need to reply to this email, but if you'd like to talk with us, just answer here." + SIGN,
        sms="Safety team: we're thinking of you after today. If you need support now, call or text 988. "
        "In an emergency call 911. Reply here if you want to talk.",
    ))
    add(_m(
        "t0-crash-followup", "T0 - crash with injury follow-up", tone="empathetic",
        cats=("crash_injury",), roles=(S, C),
        subject="Following up on the crash - case {{ case.id }}",
        email=HI + "I'm sorry to hear about the crash. " + DANGER + "\n\n"
        "If you haven't already, please seek medical attention for any injury and make a police report. "
        "{% if recipient.role == 'shopper' %}Your deliveries are paused while we look into this; this does not "
        "count against you. Our insurance team will contact you about coverage.{% else %}Please send us any "
        "photos or the police report number so we can follow up.{% endif %}\n\n"
        "We are handling this under case {{ case.id }}." + SIGN,
        sms="Safety team: sorry about the crash. Get medical help if hurt and call 911 if needed. "
        "Please reply with the police report number for case {{ case.id }}.",
        actions={"status": "awaiting_reply"},
    ))
    add(_m(
        "t0-stalking-safety", "T0 - stalking: safety steps taken", tone="empathetic",
        cats=("stalking", "doxxing", "off_app_contact"), roles=(C, S),
        subject="Steps we've taken for your safety - case {{ case.id }}",
        email=HI + "Thank you for trusting us with this. " + DANGER + "\n\n"
        "While we investigate case {{ case.id }}, we have made sure the other person on " + REF + " can no "
        "longer be matched with you. Some steps that can help:\n"
        "- keep a record of any further contact (screenshots, dates, times);\n"
        "- do not reply to messages outside the app;\n"
        "- consider contacting local police; we can share information with them on request.\n\n"
        "We will update you when our review is complete." + SIGN,
        sms="Safety team: for case {{ case.id }} we have blocked matching with the other person. "
        "Keep screenshots of any contact. If in danger call 911.",
        actions={"enforcement": {"level": 2, "rule": "CG-1.4 Stalking and unwanted contact",
                                 "restriction": "block customer-shopper pairing"}},
    ))
    add(_m(
        "t0-escalation-note", "T0 - escalation record (internal)", cats=T0_CATEGORIES,
        internal="ESCALATION - case {{ case.id }} ({{ case.category_title }}, {{ case.tier }}).\n"
        "Escalated to: ____ (emergency services / law enforcement / lead) at ____ (time).\n"
        "Reason: ____.\nAgency reference: ____.\nPeople contacted and outcome: ____.\n"
        "Evidence preserved: order timeline, chat, GPS, photos for " + REF + ".",
        actions={"tags": ["escalated"]},
    ))

    # ------------------------------------------------------ acknowledgement
    add(_m(
        "ack-reporter", "Acknowledge report", tone="empathetic",
        subject="We received your report - case {{ case.id }}",
        email=HI + "Thank you for reporting what happened on " + REF + ". I'm sorry you had this experience. "
        "I'm {{ associate.first_name }} from the Trust & Safety team and I am looking into it as case {{ case.id }}."
        "\n\n{% if case.tier <= 1 %}" + DANGER + " {% endif %}"
        "We take reports like this seriously. We may contact you for more details, and we will let you know "
        "when our review is complete. For privacy reasons we can't always share the specific outcome."
        + SIGN,
        sms="Safety team: thanks for your report on " + REF_SMS + ". {{ associate.first_name }} is reviewing it "
        "as case {{ case.id }}.{% if case.tier <= 1 %} If in danger call 911.{% endif %}",
    ))
    add(_m(
        "ack-retailer", "Acknowledge store report", tone="neutral", roles=(R,),
        subject="Report received - case {{ case.id }}",
        email=HI + "Thank you for flagging this to us. Your report about " + REF + " is now case {{ case.id }} "
        "and is being reviewed by our Trust & Safety team. If you have CCTV stills or staff statements, "
        "please reply with them; we will confirm the outcome with your store once our review is complete." + SIGN,
    ))
    add(_m(
        "ack-discrimination", "Acknowledge discrimination report", tone="empathetic",
        cats=("discrimination",), roles=(C, S),
        subject="We're sorry this happened - case {{ case.id }}",
        email=HI + "What you described on " + REF + " is unacceptable, and I'm sorry you experienced it. "
        "Discrimination has no place on our platform. I'm {{ associate.first_name }} and I'm reviewing case "
        "{{ case.id }} personally. If you have screenshots of messages, please reply with them.\n\n"
        "{% if recipient.role == 'shopper' %}You will not be matched with this customer again.{% else %}"
        "You will not be matched with this shopper again.{% endif %}" + SIGN,
        sms="Safety team: we're sorry for what you experienced on " + REF_SMS + ". We are reviewing it as case "
        "{{ case.id }} and you won't be matched with this person again.",
        actions={"enforcement": {"level": 2, "rule": "CG-3.1 Non-discrimination",
                                 "restriction": "block customer-shopper pairing"}},
    ))

    # --------------------------------------------------- information request
    add(_m(
        "info-request-subject", "Request account of events (subject)", tone="neutral", roles=(C, S, R),
        subject="We need your help with a review - case {{ case.id }}",
        email=HI + "We are reviewing an issue reported in connection with " + REF + " and would like to hear "
        "your account of what happened. Please reply within 48 hours with:\n"
        "- what happened from your point of view;\n"
        "- anything that could help us (photos, messages, times).\n\n"
        "No decision has been made. Your reply will be considered before we conclude case {{ case.id }}." + SIGN,
        sms="Safety team: we are reviewing " + REF_SMS + " and want your side of what happened. Please check "
        "your email and reply within 48 hours (case {{ case.id }}).",
        actions={"status": "awaiting_reply"},
    ))
    add(_m(
        "info-request-evidence", "Request evidence (photos, screenshots)", tone="empathetic", roles=(C, S),
        subject="Could you share more details? - case {{ case.id }}",
        email=HI + "Thank you again for your report. To help us review case {{ case.id }}, could you reply "
        "with any of the following you have:\n- photos or doorbell video;\n- screenshots of messages;\n"
        "- the approximate time it happened.\n\nOnly share what you feel comfortable sharing." + SIGN,
        sms="Safety team: to help with case {{ case.id }}, please reply to our email with any photos, "
        "screenshots or times you have. Only share what you are comfortable with.",
        actions={"status": "awaiting_reply"},
    ))
    add(_m(
        "info-request-store-cctv", "Request CCTV / staff statement (store)", roles=(R,),
        cats=("theft_evidence", "theft_pattern", "alcohol_violation", "fake_id", "staff_harassment",
              "crash_injury", "reckless_driving"),
        subject="CCTV request - case {{ case.id }}",
        email=HI + "We are reviewing an incident at your store linked to " + REF + ". Could you preserve and "
        "send us CCTV stills or footage covering 30 minutes either side of the pickup, and a short statement "
        "from any staff involved? Please reply to this email; it is linked to case {{ case.id }}." + SIGN,
        actions={"status": "awaiting_reply"},
    ))
    add(_m(
        "callback-scheduled", "Callback scheduled", tone="neutral", roles=(C, S, R),
        sms="Safety team: {{ associate.first_name }} will call you about case {{ case.id }} today. "
        "The call may show as unknown number. Reply with a better time if needed.",
        phone="Callback.\n- Say: \"Hi {{ recipient.first_name }}, it's {{ associate.first_name }} from the "
        "Trust & Safety team, calling about case {{ case.id }} as promised.\"\n"
        "- Verify identity (account email) before discussing details.\n"
        "- Summarise where the review stands; do not share details about other people.\n"
        "- Agree on next contact and channel; add an internal note with what was said.",
    ))

    # ---------------------------------------------------------- holding
    add(_m(
        "holding-update", "Still reviewing (holding update)", tone="neutral", roles=(C, S, R),
        subject="Update on case {{ case.id }}",
        email=HI + "A quick update: we are still reviewing case {{ case.id }}. "
        "{% if case.tier <= 1 %}It has our priority attention. {% endif %}"
        "We'll contact you as soon as our review is complete. " + REPLY_HOW + " if you have anything to add. "
        "Thank you for your patience." + SIGN,
        sms="Safety team: we are still reviewing case {{ case.id }} and will update you when done. "
        + REPLY_HOW + " if you have anything to add.",
    ))

    # ---------------------------------------------------------- outcomes
    add(_m(
        "outcome-actioned-reporter", "Outcome: action taken (to reporter)", tone="empathetic", roles=(C, S, R),
        subject="We've completed our review - case {{ case.id }}",
        email=HI + "Thank you for your patience. We have completed our review of case {{ case.id }} and have "
        "taken action under our Community Guidelines. For privacy reasons we can't share the details of the "
        "action taken on another account.\n\n"
        "{% if recipient.role != 'retailer' %}You will not be matched with this person again. {% endif %}"
        "Thank you for helping keep our community safe." + SIGN,
        sms="Safety team: we completed our review of case {{ case.id }} and took action. "
        "For privacy we can't share details. Thank you for reporting.",
    ))
    add(_m(
        "outcome-no-violation-reporter", "Outcome: no action (to reporter)", tone="empathetic", roles=(C, S, R),
        subject="The outcome of your report - case {{ case.id }}",
        email=HI + "Thank you for your report. We have carefully reviewed case {{ case.id }}"
        "{% if case.order_id %}, including the order records for order {{ case.order_id }}{% endif %}. We did not find enough to take action this time, but your report stays "
        "on file and is considered if anything similar is reported again.\n\n"
        "If you have new information, just " + REPLY_HOW.replace("Reply", "reply") + "." + SIGN,
        sms="Safety team: we reviewed case {{ case.id }} and could not take action this time. Your report "
        "stays on file. " + REPLY_HOW + " if you have new information.",
    ))
    add(_m(
        "outcome-cleared-subject", "Outcome: no violation found (to subject)", tone="neutral", roles=(C, S, R),
        subject="Review closed - case {{ case.id }}",
        email=HI + "Thank you for your reply. We have completed our review of " + REF + " and found no "
        "violation of our Community Guidelines. No action has been taken on your " + ACCOUNT + "." + SIGN,
        sms="Safety team: our review of " + REF_SMS + " is closed with no violation found. No action was "
        "taken on your account.",
    ))
    add(_m(
        "missing-item-refund", "Missing item - refund issued", tone="empathetic", cats=("missing_item",),
        roles=(C,),
        subject="Refund for your missing item - {{ case.id }}",
        email=HI + "Sorry that an item was missing from " + REF + ". We have refunded it to your original "
        "payment method; it should appear within 3-5 business days. We have also shared feedback with the "
        "shopper." + SIGN,
        sms="Sorry an item was missing from " + REF_SMS + ". We refunded it to your payment method "
        "(3-5 business days). Case {{ case.id }}.",
    ))
    add(_m(
        "withdrawn-confirmation", "Report withdrawn - confirmation", tone="neutral", roles=(C, S, R),
        subject="Your report has been withdrawn - case {{ case.id }}",
        email=HI + "As you asked, we have closed case {{ case.id }}. If anything else happens or you change "
        "your mind, just " + REPLY_HOW.replace("Reply", "reply") + " and we will reopen it." + SIGN,
        sms="Safety team: case {{ case.id }} is closed as you asked. " + REPLY_HOW + " any time if you want it "
        "reopened.",
    ))

    # --------------------------------------------------- enforcement: L1
    add(_notice(
        "enf-l1-warning", "L1 warning - respectful conduct", level=1, rule="CG-3.3",
        rule_text="Respectful conduct", cats=CONDUCT, roles=(C, S),
        what="we have issued a formal warning on your account.",
        what_sms="a formal warning was issued",
        means="your account remains active. Further violations may lead to restrictions or suspension.",
    ))
    add(_notice(
        "enf-l1-tip-pressure", "L1 warning - tip or rating pressure", level=1, rule="CG-3.5",
        rule_text="Tips and ratings", cats=("tip_pressure",), roles=(S,),
        what="we have issued a formal warning on your shopper account.",
        what_sms="a formal warning was issued",
        means="tips and ratings are always the customer's choice. Asking for or pressuring customers about "
        "them again may lead to suspension.",
    ))
    add(_notice(
        "enf-l1-false-claims", "L1 warning - inaccurate refund claims", level=1, rule="CG-6.3",
        rule_text="Honest claims", cats=("false_claims", "promo_abuse"), roles=(C,),
        what="we have issued a formal warning and declined the latest refund request.",
        what_sms="a formal warning was issued and a refund declined",
        means="your account remains active. Further inaccurate claims may lead to refunds being disabled.",
    ))
    add(_notice(
        "enf-l1-store-warning", "L1 warning - store staff conduct", level=1, rule="CG-3.2",
        rule_text="Harassment", cats=("staff_harassment", "discrimination", "rude_tone"), roles=(R,),
        what="we have issued a formal warning to your store.",
        what_sms="a formal warning was issued",
        means="please review this with the staff involved. Further reports may lead to the store being "
        "restricted on the platform.",
    ))

    # --------------------------------------------------- enforcement: L2
    add(_notice(
        "enf-l2-restriction", "L2 restriction - chat disabled", level=2, rule="CG-3.3",
        rule_text="Respectful conduct", cats=CONDUCT + ("off_app_contact",), roles=(C, S),
        what="we have disabled in-app chat on your account.",
        what_sms="in-app chat was disabled",
        means="you can still use the app, but cannot send chat messages. Continued violations may lead to "
        "suspension.",
        extra_action={"restriction": "chat disabled"},
    ))
    add(_notice(
        "enf-l2-alcohol", "L2 restriction - no alcohol orders", level=2, rule="CG-5.1",
        rule_text="Alcohol delivery and ID checks", cats=("alcohol_violation", "fake_id"), roles=(C, S),
        what="{% if recipient.role == 'shopper' %}we have removed alcohol orders from your batches"
        "{% else %}we have disabled alcohol purchases on your account{% endif %}.",
        what_sms="alcohol orders were disabled",
        means="every alcohol delivery needs a valid ID scan. This restriction stays in place unless "
        "it is lifted on appeal.",
        extra_action={"restriction": "no alcohol orders"},
        phone=True,
    ))
    add(_notice(
        "enf-l2-pairing-block", "L2 restriction - pairing blocked", level=2, rule="CG-3.6",
        rule_text="Contact outside the app",
        cats=("off_app_contact", "inappropriate_questions", "tip_pressure", "stalking"), roles=(C, S),
        what="we have blocked your account from being matched with the other person on " + REF + ".",
        what_sms="matching with the other party was blocked",
        means="you must not contact the other person outside the app. Doing so may lead to suspension.",
        extra_action={"restriction": "block customer-shopper pairing"},
    ))

    # --------------------------------------------------- enforcement: L3
    add(_notice(
        "enf-l3-suspension", "L3 suspension - fixed term (14 days)", level=3, rule="CG-2.1",
        rule_text="Safe driving and conduct",
        cats=("reckless_driving", "crash_injury", "discrimination", "doxxing", "theft_pattern", "gps_spoofing"),
        roles=(C, S),
        what="we have suspended your account for 14 days.",
        what_sms="a 14-day suspension was applied",
        means="you cannot use the app during the suspension. It ends automatically after 14 days; "
        "further violations may lead to deactivation.",
        extra_action={"duration_days": 14},
        phone=True,
    ))
    add(_notice(
        "enf-l3-pending-investigation", "L3 suspension - pending investigation (safety)", level=3, rule="CG-1",
        rule_text="Safety: violence, threats, weapons and sexual misconduct", cats=T0_CATEGORIES + T1_SAFETY,
        roles=(C, S),
        what="we have temporarily suspended your account while we investigate a serious safety report.",
        what_sms="a temporary suspension pending investigation was applied",
        means="this is a precaution, not a final decision. We will contact you for your account of events "
        "and tell you the outcome.",
        phone=True,
    ))

    # --------------------------------------------------- enforcement: L4
    add(_notice(
        "enf-l4-deactivation", "L4 deactivation - serious safety violation", level=4, rule="CG-1",
        rule_text="Safety: violence, threats, weapons and sexual misconduct",
        cats=T0_CATEGORIES + ("theft_evidence", "discrimination", "doxxing"), roles=(C, S),
        what="we have permanently deactivated your account.",
        what_sms="your account was permanently deactivated",
        means="you can no longer use the platform, and any other accounts linked to you may also be "
        "deactivated. This decision was reviewed and approved by a second team member.",
        extra_action={"include_linked": True},
    ))
    add(_notice(
        "enf-l4-ban-evasion", "L4 deactivation - ban evasion (linked accounts)", level=4, rule="CG-4.2",
        rule_text="Ban evasion", cats=("ban_evasion", "account_sharing"), roles=(C, S),
        what="we have deactivated this account and the accounts linked to it.",
        what_sms="this account and linked accounts were deactivated",
        means="creating or using another account after a deactivation is not allowed. This decision was "
        "reviewed and approved by a second team member.",
        extra_action={"include_linked": True},
    ))
    add(_notice(
        "enf-l4-fraud", "L4 deactivation - fraud or identity", level=4, rule="CG-4.1",
        rule_text="One person, one account; location integrity",
        cats=("account_sharing", "gps_spoofing", "fake_id", "promo_abuse", "false_claims"), roles=(C, S),
        what="we have permanently deactivated your account.",
        what_sms="your account was permanently deactivated",
        means="accounts must be used only by their verified owner, with genuine location and identity. "
        "This decision was reviewed and approved by a second team member.",
    ))

    # ---------------------------------------------------- internal notes
    add(_m(
        "note-investigation-summary", "Internal: investigation summary",
        internal="INVESTIGATION SUMMARY - case {{ case.id }} ({{ case.category_title }}, {{ case.tier }})\n"
        "Allegation: ____\nEvidence reviewed: order timeline for " + REF + ", chat, GPS, photos: ____\n"
        "Subject's account: ____\nParty history / linked accounts: ____\n"
        "Finding: substantiated / not substantiated / insufficient evidence\n"
        "Proposed action and rule: ____",
    ))
    add(_m(
        "note-evidence-log", "Internal: evidence log",
        internal="Evidence log - case {{ case.id }}\n- Source: ____ (photo / video / chat / GPS / CCTV)\n"
        "- Received: ____ (time)\n- What it shows: ____\n- Preserved: yes/no (ref ____)",
    ))
    add(_m(
        "note-l4-approval-request", "Internal: request lead approval (L4/L5)", cats=(),
        internal="Four-eyes request - case {{ case.id }} ({{ case.category_title }}).\n"
        "Proposed: L4 deactivation / L5 referral for ____. Rule: ____.\n"
        "Why this level: ____ (severity, evidence, prior enforcements).\n"
        "Linked accounts to include: ____.\nRequested by {{ associate.first_name }}; needs a lead's approval.",
        actions={"tags": ["needs-approval"]},
    ))
    add(_m(
        "note-linked-accounts", "Internal: linked-account review",
        cats=("ban_evasion", "account_sharing", "gps_spoofing", "promo_abuse", "false_claims", "fake_id"),
        internal="Linked-account review - case {{ case.id }}\nShared identifiers found: phone / device / "
        "payment fingerprint / address: ____\nPrior enforcement on linked accounts: ____\n"
        "Assessment: same person / household / unrelated: ____",
        actions={"tags": ["linked-accounts"]},
    ))
    add(_m(
        "note-handoff", "Internal: shift hand-off",
        internal="HAND-OFF - case {{ case.id }} ({{ case.tier }}, {{ case.category_title }})\n"
        "State: ____\nWaiting on: ____ (reply / CCTV / lead approval)\nPromised callbacks: ____\n"
        "Next step for the next associate: ____\n- {{ associate.first_name }}",
    ))
    add(_m(
        "note-callback-log", "Internal: call log",
        internal="Call log - case {{ case.id }}: called ____ at ____. Outcome: reached / voicemail / no answer. "
        "Summary: ____. Follow-up due: ____.",
    ))
    return lib
