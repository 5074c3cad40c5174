"""Macro rendering (sandboxed Jinja2) and the channel checks on a draft.

Placeholders come from ``build_context``: ``case.*``, ``recipient.*``,
``associate.*``, ``channel``, ``appeal.*``. An unknown placeholder or a value that
is missing (None / empty) stops rendering with a ``MacroError`` that names it --
a draft never reads "Hi ,". A missing value may still be tested in a
conditional (``{% if case.order_id %}...{% endif %}``) or given a default
(``{{ case.order_id | default("your order") }}``); an unknown one may not.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import Enum
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterable, Literal, NoReturn

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, Undefined
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment

from .taxonomy import CATEGORY_BY_CODE, Channel, Tier

APPEAL_URL = "https://help.critresp.example/appeals"
APPEAL_DEADLINE_DAYS = 14
SMS_WARN_SEGMENTS = 3


class MacroError(ValueError):
    """A macro cannot be rendered; the message is one sentence for the associate."""


# --------------------------------------------------------------------------- context


class TierValue(int):
    """``case.tier`` in a macro: prints ``T1``, compares with ints (``case.tier <= 1``)
    and with labels (``case.tier == 'T1'``)."""

    def __str__(self) -> str:
        return f"T{int(self)}"

    __repr__ = __str__

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            try:
                return Tier.parse(other) == int(self)
            except ValueError:
                return False
        return int(self) == other

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = int.__hash__


class _Ns:
    """A read-only placeholder namespace that knows its dotted path.

    No public attributes (deliberately not a Mapping: no ``items``/``get`` to
    shadow a field): the sandbox's attribute lookup fails over to item lookup,
    so ``case.id`` reads ``self["id"]`` and unknown names stay unknown.
    """

    __slots__ = ("_path", "_data")

    def __init__(self, path: str, data: Mapping[str, Any]) -> None:
        self._path = path
        self._data = {k: _wrap(f"{path}.{k}", v) for k, v in data.items()}

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self):
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __str__(self) -> str:
        first = next(iter(self._data), "id")
        raise MacroError(f"Placeholder {self._path} needs a field, e.g. {self._path}.{first}")

    __repr__ = object.__repr__


class _Missing(Undefined):
    """A known placeholder without a value: false in tests, an error when printed."""

    __slots__ = ()

    def _fail_with_undefined_error(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise MacroError(f"Missing value for {self._undefined_name}")

    __str__ = _fail_with_undefined_error  # type: ignore[assignment]
    __iter__ = _fail_with_undefined_error  # type: ignore[assignment]
    __len__ = _fail_with_undefined_error  # type: ignore[assignment]


def _wrap(path: str, value: Any) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        return _Missing(name=path)
    if isinstance(value, Mapping):
        return _Ns(path, value)
    if isinstance(value, Tier):
        return value.label
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return tuple(_wrap(f"{path}[{i}]", v) for i, v in enumerate(value))
    return str(value)


class _StrictNamed(StrictUndefined):
    """StrictUndefined that names the full dotted placeholder in its error."""

    __slots__ = ()

    def _fail_with_undefined_error(self, *args: Any, **kwargs: Any) -> NoReturn:
        obj = self._undefined_obj
        name = self._undefined_name
        if isinstance(obj, _Ns):
            name = f"{obj._path}.{name}"
        elif isinstance(obj, _Missing):
            raise MacroError(f"Missing value for {obj._undefined_name}")
        if self._undefined_exception is SecurityError or (name or "").startswith("_"):
            raise MacroError(f"Placeholder {name} is not allowed")
        if name is None:
            raise MacroError(f"Unknown placeholder ({self._undefined_hint or 'undefined value'})")
        raise MacroError(f"Unknown placeholder {name}")

    __str__ = _fail_with_undefined_error  # type: ignore[assignment]
    __iter__ = _fail_with_undefined_error  # type: ignore[assignment]
    __len__ = _fail_with_undefined_error  # type: ignore[assignment]
    __bool__ = _fail_with_undefined_error  # type: ignore[assignment]
    __eq__ = _fail_with_undefined_error  # type: ignore[assignment]
    __ne__ = _fail_with_undefined_error  # type: ignore[assignment]
    __hash__ = _fail_with_undefined_error  # type: ignore[assignment]
    __contains__ = _fail_with_undefined_error  # type: ignore[assignment]


def _finalize(value: Any) -> Any:
    if value is None:
        raise MacroError("Missing value in the macro")
    return value


# Filters a macro may use. Left out: anything that builds text of a size given by
# an argument (center, indent, wordwrap, format, batch, slice, ...) and anything
# that reaches outside the template (attr, map/select with attribute, xmlattr).
_ALLOWED_FILTERS = (
    "default", "d", "upper", "lower", "title", "capitalize", "trim",
    "length", "count", "first", "last", "int", "string", "abs", "round",
    "truncate", "striptags", "wordcount", "list", "sort", "unique", "reverse",
)
# str methods that would build text of an argument-given size.
# replace / join multiply their inputs (e.g. "ab".replace("", 10k chars) -> 30k; 10k x 10k ...).
_SIZE_METHODS = frozenset(
    {"center", "ljust", "rjust", "zfill", "expandtabs", "format", "format_map", "replace", "join"}
)
_MAX_SEQUENCE = 10_000  # longest string / list a `*` may build
_MAX_EXPONENT = 64
_MAX_BITS = 4096
MAX_OUTPUT = 100_000  # characters of rendered text


class _Env(SandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "%"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "%":
            # printf-style formatting builds text of an argument-given size ("%0999999999d" % 1)
            if isinstance(left, (str, bytes)):
                raise MacroError("Macro may not use % formatting")
            return left % right
        if operator == "**":
            if isinstance(right, (int, float)) and isinstance(left, (int, float)):
                base_bits = abs(int(left)).bit_length()
                if abs(right) > _MAX_EXPONENT or base_bits * abs(right) > _MAX_BITS:
                    raise MacroError("Macro arithmetic is too large")
            return left**right
        for seq, n in ((left, right), (right, left)):
            if isinstance(seq, (str, list, tuple)) and isinstance(n, int) and len(seq) * n > _MAX_SEQUENCE:
                raise MacroError("Macro text is too long")
        return left * right

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, _Missing):
            raise MacroError(f"Missing value for {obj._undefined_name}")
        if isinstance(obj, str) and attribute in _SIZE_METHODS:
            raise MacroError(f"Macro may not use {attribute}()")
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if isinstance(obj, _Missing):
            raise MacroError(f"Missing value for {obj._undefined_name}")
        if isinstance(obj, str) and argument in _SIZE_METHODS:
            raise MacroError(f"Macro may not use {argument}()")
        return super().getitem(obj, argument)


@lru_cache(maxsize=1)
def _env() -> _Env:
    env = _Env(undefined=_StrictNamed, autoescape=False, finalize=_finalize)
    env.globals.clear()  # no range / cycler / joiner / namespace / lipsum
    env.filters = {k: env.filters[k] for k in _ALLOWED_FILTERS}
    return env


@lru_cache(maxsize=512)
def _compile(source: str):
    try:
        return _env().from_string(source)
    except TemplateSyntaxError as e:
        raise MacroError(f"Macro template error on line {e.lineno}: {e.message}") from None


def _attr(obj: Any, *names: str) -> Any:
    for n in names:
        if obj is None:
            return None
        if isinstance(obj, Mapping):
            v = obj.get(n)
        else:
            v = getattr(obj, n, None)
        if v is not None:
            return v
    return None


def _enum_value(v: Any) -> Any:
    return getattr(v, "value", v)


def build_context(
    case: Any,
    recipient: Any,
    associate: Any,
    channel: Channel | str,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The placeholder context for one draft.

    ``case``: CaseState / CaseRecord / CaseDetail (anything with id, tier, category,
    optional order_id); ``recipient``: PartyRecord / PartyView / mapping (first_name, or
    display_name) or None; ``associate``: Actor / AssociateRecord. ``extra`` adds
    top-level names (e.g. ``{"enforcement": {...}}``).
    """
    tier = _attr(case, "tier")
    tier_value = TierValue(int(tier)) if tier is not None else None
    code = _attr(case, "category")
    cat = CATEGORY_BY_CODE.get(code) if code else None
    first = _attr(recipient, "first_name")
    if first is None:
        disp = _attr(recipient, "display_name")
        first = disp.split()[0] if disp and disp.strip() else None
    assoc_first = _attr(associate, "first_name")
    if assoc_first is None:
        n = _attr(associate, "name")
        assoc_first = n.split()[0] if n and n.strip() else None
    ch = Channel(_enum_value(channel))
    data: dict[str, Any] = {
        "case": {
            "id": _attr(case, "id"),
            "tier": tier_value,
            "tier_title": Tier(tier).title if tier is not None else None,
            "category": code,
            "category_title": cat.title if cat else code,
            "order_id": _attr(case, "order_id"),
            "title": _attr(case, "title"),
        },
        "recipient": {
            "first_name": first,
            "role": _enum_value(_attr(recipient, "role")),
            "involvement": _enum_value(_attr(recipient, "involvement")),
        },
        "associate": {"first_name": assoc_first},
        "channel": ch.value,
        "appeal": {"url": APPEAL_URL, "deadline_days": APPEAL_DEADLINE_DAYS},
    }
    if extra:
        data.update(extra)
    return data


# --------------------------------------------------------------------------- render


@dataclass(frozen=True)
class RenderedDraft:
    subject: str | None
    body: str
    channel: Channel
    macro_id: str


def _body_for(macro: Any, channel: Channel) -> str | None:
    return {
        Channel.EMAIL: macro.email_body,
        Channel.SMS: macro.sms_body,
        Channel.PHONE: macro.phone_script,
        Channel.INTERNAL: macro.internal_body,
    }[channel]


_TRAILING_WS = re.compile(r"[ \t]+$", re.M)
_BLANK_RUNS = re.compile(r"\n{3,}")


def render_text(source: str, context: Mapping[str, Any]) -> str:
    """Render one template string in the sandbox. Raises MacroError."""
    tmpl = _compile(source)
    ns = {k: _wrap(k, v) for k, v in context.items()}
    try:
        out = tmpl.render(ns)
    except MacroError:
        raise
    except SecurityError as e:
        raise MacroError(f"Macro tried something not allowed: {e}") from None
    except UndefinedError as e:  # pragma: no cover - _StrictNamed raises MacroError first
        raise MacroError(f"Unknown placeholder ({e})") from None
    except TemplateError as e:
        raise MacroError(f"Macro template error: {e}") from None
    except Exception as e:  # a filter or method failing on the data, e.g. int + str
        raise MacroError(f"Macro could not be filled: {type(e).__name__}: {e}") from None
    if len(out) > MAX_OUTPUT:
        raise MacroError("Macro text is too long")
    # lines that held only a {% if %} / {% endif %} leave blanks: tidy them
    out = _TRAILING_WS.sub("", out)
    return _BLANK_RUNS.sub("\n\n", out)


def render(macro: Any, channel: Channel | str, context: Mapping[str, Any]) -> RenderedDraft:
    """Render a MacroRecord / MacroView for one channel.

    Raises MacroError when the macro has no text for the channel, a placeholder is
    unknown or missing, or the template is malformed."""
    ch = Channel(_enum_value(channel))
    source = _body_for(macro, ch)
    if source is None or not source.strip():
        raise MacroError(f"Macro {macro.id!r} has no {ch.value} text")
    subject = None
    if ch is Channel.EMAIL:
        if not (macro.email_subject or "").strip():
            raise MacroError(f"Macro {macro.id!r} has no email subject")
        subject = " ".join(render_text(macro.email_subject, context).split())
    body = render_text(source, context).strip("\n")
    return RenderedDraft(subject=subject, body=body, channel=ch, macro_id=macro.id)


# --------------------------------------------------------------------------- SMS


GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€")


@dataclass(frozen=True)
class SmsInfo:
    encoding: Literal["GSM-7", "UCS-2"]
    units: int  # septets (extension chars count 2) or UTF-16 code units
    segments: int
    per_segment: int  # units per segment: 160/153 (GSM-7) or 70/67 (UCS-2)


def _unit_costs(text: str) -> tuple[Literal["GSM-7", "UCS-2"], list[int]]:
    if all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text):
        return "GSM-7", [2 if c in GSM7_EXTENSION else 1 for c in text]
    return "UCS-2", [2 if ord(c) > 0xFFFF else 1 for c in text]


def sms_segments(text: str) -> SmsInfo:
    """How an SMS will be sent. A multi-unit character (GSM-7 escape pair, UTF-16
    surrogate pair) is never split across two segments."""
    encoding, costs = _unit_costs(text)
    single, multi = (160, 153) if encoding == "GSM-7" else (70, 67)
    units = sum(costs)
    if units == 0:
        return SmsInfo(encoding, 0, 0, single)
    if units <= single:
        return SmsInfo(encoding, units, 1, single)
    segments, used = 1, 0
    for c in costs:
        if used + c > multi:
            segments += 1
            used = 0
        used += c
    return SmsInfo(encoding, units, segments, multi)


# --------------------------------------------------------------------------- checks


@dataclass(frozen=True)
class DraftCheck:
    code: str
    severity: Literal["block", "warn", "info"]
    message: str


_LEFTOVER = re.compile(r"\{\{.*?(?:\}\}|$)|\{%.*?(?:%\}|$)|\{#.*?(?:#\}|$)", re.S)
_APPEAL = re.compile(r"appeal", re.I)
_PHONE_CHARS = re.compile(r"^[\d\s().+\-/]+$")
_NON_DIGIT = re.compile(r"\D")


def _term_kind(term: str) -> Literal["email", "phone", "name"]:
    if "@" in term:
        return "email"
    if _PHONE_CHARS.match(term) and sum(ch.isdigit() for ch in term) >= 6:
        return "phone"
    return "name"


def _reveals(text: str, term: str) -> bool:
    kind = _term_kind(term)
    if kind == "phone":
        digits = _NON_DIGIT.sub("", term)
        packed = re.sub(r"[\s().+\-/]", "", text)
        # the national part of the number is enough to identify someone
        return digits[-7:] in packed
    if kind == "email":
        return term.casefold() in text.casefold()
    if len(term) < 2:
        return False
    return re.search(rf"(?<!\w){re.escape(term)}(?!\w)", text, re.I) is not None


def check_draft(
    body: str,
    channel: Channel | str,
    *,
    subject: str | None = None,
    is_enforcement_notice: bool = False,
    reporter_terms: Iterable[str] = (),
    recipient_is_reporter: bool = False,
    enforcement_in_force: bool | None = None,
) -> list[DraftCheck]:
    """Live checks of an (edited) draft. ``block`` checks must stop sending.

    ``enforcement_in_force``: for an enforcement notice, whether the recipient has an
    enforcement in force (approved) on this case. ``False`` blocks: a deactivation
    notice must never go out while the L4 is still waiting for a lead.
    """
    ch = Channel(_enum_value(channel))
    body = body or ""
    checks: list[DraftCheck] = []
    if not body.strip():
        checks.append(DraftCheck("empty_body", "block", "Draft is empty"))
    if ch is Channel.EMAIL and not (subject or "").strip():
        checks.append(DraftCheck("missing_subject", "block", "Email needs a subject"))
    for part in (subject or "", body):
        leftover = _LEFTOVER.search(part)
        if leftover:
            snippet = " ".join(leftover.group(0).split())[:40]
            checks.append(DraftCheck("unfilled_placeholder", "block", f"Unfilled placeholder {snippet}"))
            break
    if ch.is_public and is_enforcement_notice and not _APPEAL.search(body):
        checks.append(
            DraftCheck("missing_appeal", "block", "Enforcement notice must say how to appeal (no 'appeal' in the text)")
        )
    if ch.is_public and is_enforcement_notice and enforcement_in_force is False:
        checks.append(
            DraftCheck(
                "enforcement_not_in_force",
                "block",
                "No enforcement is in force on this recipient yet (L4/L5 wait for a lead's approval): "
                "send the notice once it is approved",
            )
        )
    if ch.is_public and not recipient_is_reporter:
        text = f"{subject or ''}\n{body}"
        kinds = sorted({_term_kind(t) for t in reporter_terms if t and t.strip() and _reveals(text, t.strip())})
        if kinds:
            checks.append(
                DraftCheck("reveals_reporter", "block", f"Draft reveals the reporter (their {' and '.join(kinds)})")
            )
    if ch is Channel.SMS and body:
        info = sms_segments(body)
        msg = f"SMS {info.encoding}: {info.units} units, {info.segments} segment{'s' if info.segments != 1 else ''}"
        if info.encoding == "UCS-2":
            msg += " (special characters or emoji: 70 per single SMS)"
        checks.append(DraftCheck("sms_segments", "info", msg))
        if info.segments > SMS_WARN_SEGMENTS:
            checks.append(
                DraftCheck("sms_long", "warn", f"Long SMS: {info.segments} segments (keep it to {SMS_WARN_SEGMENTS})")
            )
    if ch is Channel.INTERNAL:
        checks.append(DraftCheck("internal", "info", "Internal note: never sent to anyone outside"))
    return checks


def blocking(checks: Iterable[DraftCheck]) -> bool:
    return any(c.severity == "block" for c in checks)
