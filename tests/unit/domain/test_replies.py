"""The new text of a customer's email reply: quoted history, attributions and mobile signatures removed."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recovery.domain.replies import new_text, text_of_html

# (name, reply body as the mail client sends it, what the customer wrote)
REPLIES = [
    # --- English
    (
        "en gmail",
        "Thanks, the replacement arrived this morning and works fine.\n\nAda\n\n"
        "On Mon, 7 Dec 2026 at 10:00, Northwind Care <care@northwind.example> wrote:\n\n"
        "> Hello Ada,\n>\n> we are sorry your order arrived damaged.\n> -- \n> Northwind Care\n",
        "Thanks, the replacement arrived this morning and works fine.\n\nAda",
    ),
    (
        "en gmail, attribution wrapped over two lines",
        "Still waiting for the refund.\r\n\r\n"
        "On Mon, 7 Dec 2026 at 10:00, Customer Care at Northwind Outfitters <\r\n"
        "care@northwind.example> wrote:\r\n\r\n> Your refund is on its way.\r\n",
        "Still waiting for the refund.",
    ),
    (
        "en gmail, attribution wrapped before 'wrote:'",
        "Fine by me.\n\n"
        "On Mon, 7 Dec 2026 at 10:00, Customer Care at Northwind Outfitters <care@northwind.example>\n"
        "wrote:\n\n> Can we close the case?\n",
        "Fine by me.",
    ),
    (
        "en apple mail ios",
        "Yes, Thursday works.\n\nSent from my iPhone\n\n"
        "> On 7 Dec 2026, at 10:00, Northwind Care <care@northwind.example> wrote:\n> \n"
        "> Would Thursday suit you for the visit?\n",
        "Yes, Thursday works.",
    ),
    (
        "en apple mail macos",
        "Yes, Thursday works.\n\n"
        "On 7 Dec 2026, at 10:00, Northwind Care <care@northwind.example> wrote:\n\n"
        "> Would Thursday suit you for the visit?\n",
        "Yes, Thursday works.",
    ),
    (
        "en outlook desktop",
        "Please call me after 5pm.\n\nRegards,\nAda Lovelace\n\n"
        "-----Original Message-----\n"
        "From: Northwind Care <care@northwind.example>\n"
        "Sent: Monday, December 7, 2026 10:00 AM\n"
        "To: Ada Lovelace <ada@example.com>\n"
        "Subject: Your order 4471\n\n"
        "Hello Ada,\nwe are sorry your order arrived damaged.\n",
        "Please call me after 5pm.\n\nRegards,\nAda Lovelace",
    ),
    (
        "en outlook web and mobile",
        "The courier never came.\n\nGet Outlook for iOS<https://aka.ms/o0ukef>\n"
        "________________________________\n"
        "From: Northwind Care <care@northwind.example>\n"
        "Sent: Monday, December 7, 2026 10:00:00 AM\n"
        "To: ada@example.com <ada@example.com>\n"
        "Subject: Your delivery\n\n"
        "Hello Ada,\nyour parcel is out for delivery today.\n",
        "The courier never came.",
    ),
    (
        "en outlook, bold header names",
        "Noted, thanks.\n\n"
        "*From:* Northwind Care <care@northwind.example>\n"
        "*Sent:* Monday, December 7, 2026 10:00 AM\n"
        "*To:* Ada Lovelace <ada@example.com>\n"
        "*Subject:* Your order\n\nHello Ada,\n",
        "Noted, thanks.",
    ),
    (
        "en thunderbird",
        "That is fine.\n\nOn 07/12/2026 10:00, Northwind Care wrote:\n"
        "> Hello Ada,\n> is the new date fine?\n",
        "That is fine.",
    ),
    (
        "en thunderbird forward",
        "This is the message I got yesterday.\n\n"
        "-------- Forwarded Message --------\n"
        "Subject: \tYour order\nDate: \tMon, 7 Dec 2026 10:00:00 +0100\n"
        "From: \tNorthwind Care <care@northwind.example>\nTo: \tada@example.com\n\nHello Ada,\n",
        "This is the message I got yesterday.",
    ),
    (
        "en gmail forward",
        "See below.\n\n"
        "---------- Forwarded message ---------\n"
        "From: Northwind Care <care@northwind.example>\nDate: Mon, 7 Dec 2026 at 10:00\n"
        "Subject: Your order\nTo: <ada@example.com>\n\nHello Ada,\n",
        "See below.",
    ),
    (
        "en apple mail forward",
        "Look at this.\n\nBegin forwarded message:\n\n"
        "From: Northwind Care <care@northwind.example>\nSubject: Your order\n"
        "Date: 7 December 2026 at 10:00:00 CET\nTo: ada@example.com\n\nHello Ada,\n",
        "Look at this.",
    ),
    (
        "en outlook for ios",
        "Got it.\n\nOn Mon, Dec 7, 2026 at 10:00 AM, Northwind Care <care@northwind.example> wrote:\n"
        "> Your visit is booked.\n",
        "Got it.",
    ),
    (
        "en yahoo",
        "Thank you!\n\n    On Monday, December 7, 2026, 10:00:00 AM GMT+1, Northwind Care "
        "<care@northwind.example> wrote:\n \n > Your visit is booked.\n",
        "Thank you!",
    ),
    # --- German
    (
        "de gmail, attribution wrapped",
        "Danke, das Paket ist heute angekommen.\n\n"
        "Am Mo., 7. Dez. 2026 um 10:00 Uhr schrieb Northwind Kundenservice <\n"
        "service@northwind.example>:\n\n> Hallo Ada,\n> Ihr Paket ist unterwegs.\n",
        "Danke, das Paket ist heute angekommen.",
    ),
    (
        "de apple mail",
        "Ja, gerne am Donnerstag.\n\nVon meinem iPhone gesendet\n\n"
        "> Am 07.12.2026 um 10:00 schrieb Northwind Kundenservice <service@northwind.example>:\n> \n"
        "> Passt Ihnen Donnerstag?\n",
        "Ja, gerne am Donnerstag.",
    ),
    (
        "de outlook",
        "Bitte rufen Sie mich an.\n\nMit freundlichen Grüßen\nAda Lovelace\n\n"
        "Von: Northwind Kundenservice <service@northwind.example>\n"
        "Gesendet: Montag, 7. Dezember 2026 10:00\n"
        "An: Ada Lovelace <ada@example.com>\n"
        "Betreff: Ihre Bestellung 4471\n\nHallo Ada,\n",
        "Bitte rufen Sie mich an.\n\nMit freundlichen Grüßen\nAda Lovelace",
    ),
    (
        "de outlook desktop banner",
        "Erledigt.\n\n-----Ursprüngliche Nachricht-----\n"
        "Von: Northwind Kundenservice <service@northwind.example>\n"
        "Gesendet: Montag, 7. Dezember 2026 10:00\n",
        "Erledigt.",
    ),
    (
        "de thunderbird",
        "Passt so.\n\nAm 07.12.26 um 10:00 schrieb Northwind Kundenservice:\n> Hallo Ada,\n",
        "Passt so.",
    ),
    # --- Norwegian Bokmål
    (
        "nb gmail",
        "Takk, det fungerer nå.\n\n"
        "man. 7. des. 2026 kl. 10:00 skrev Northwind kundeservice <kundeservice@northwind.example>:\n\n"
        "> Hei Ada,\n> fungerer det nå?\n",
        "Takk, det fungerer nå.",
    ),
    (
        "nb apple mail",
        "Ja, torsdag passer fint.\n\nSendt fra min iPhone\n\n"
        "> 7. des. 2026 kl. 10:00 skrev Northwind kundeservice <kundeservice@northwind.example>:\n> \n"
        "> Passer torsdag?\n",
        "Ja, torsdag passer fint.",
    ),
    (
        "nb outlook",
        "Ring meg gjerne i morgen.\n\n"
        "Fra: Northwind kundeservice <kundeservice@northwind.example>\n"
        "Sendt: mandag 7. desember 2026 10:00\n"
        "Til: Ada Lovelace <ada@example.com>\n"
        "Emne: Bestillingen din\n\nHei Ada,\n",
        "Ring meg gjerne i morgen.",
    ),
    (
        "nb thunderbird",
        "Det går bra.\n\nDen 07.12.2026 10:00, skrev Northwind kundeservice:\n> Hei Ada,\n",
        "Det går bra.",
    ),
    # --- Japanese
    (
        "ja gmail",
        "ありがとうございます。商品は無事に届きました。\n\n"
        "2026年12月7日(月) 10:00 Northwind サポート <support@northwind.example>:\n\n"
        "> 山田様\n> ご不便をおかけしております。\n",
        "ありがとうございます。商品は無事に届きました。",
    ),
    (
        "ja apple mail",
        "木曜日で大丈夫です。\n\niPhoneから送信\n\n"
        "> 2026/12/07 10:00、Northwind サポート <support@northwind.example>のメール:\n> \n"
        "> 木曜日はいかがでしょうか。\n",
        "木曜日で大丈夫です。",
    ),
    (
        "ja outlook",
        "お電話ください。\n\n"
        "差出人: Northwind サポート <support@northwind.example>\n"
        "送信日時: 2026年12月7日 10:00\n"
        "宛先: 山田 花子 <hanako@example.com>\n"
        "件名: ご注文について\n\n山田様\n",
        "お電話ください。",
    ),
    (
        "ja thunderbird",
        "承知しました。\n\n2026/12/07 10:00 に Northwind サポート さんは書きました:\n> 山田様\n",
        "承知しました。",
    ),
    # --- Chinese
    (
        "zh gmail",
        "好的，谢谢。\n\n在 2026年12月7日周一 10:00，Northwind 客服 <kefu@northwind.example> 写道：\n\n"
        "> 您好，\n> 您的订单已发货。\n",
        "好的，谢谢。",
    ),
    (
        "zh apple mail",
        "周四可以。\n\n发自我的iPhone\n\n"
        "> 2026年12月7日 10:00，Northwind 客服 <kefu@northwind.example> 写道：\n> \n> 周四方便吗？\n",
        "周四可以。",
    ),
    (
        "zh outlook",
        "请给我回电话。\n\n"
        "发件人: Northwind 客服 <kefu@northwind.example>\n"
        "发送时间: 2026年12月7日 10:00\n"
        "收件人: 李华 <lihua@example.com>\n"
        "主题: 您的订单\n\n您好，\n",
        "请给我回电话。",
    ),
    (
        "zh-hant gmail",
        "好的，謝謝。\n\n於 2026年12月7日 週一 上午10:00 Northwind 客服 <kefu@northwind.example> 寫道：\n\n"
        "> 您好\n",
        "好的，謝謝。",
    ),
    (
        "zh outlook, full-width colons",
        "收到。\n\n发件人：Northwind 客服 <kefu@northwind.example>\n发送时间：2026年12月7日 10:00\n"
        "收件人：李华\n主题：您的订单\n\n您好，\n",
        "收到。",
    ),
    # --- Turkish
    (
        "tr gmail",
        "Teşekkürler, sorun çözüldü.\n\n"
        "7 Ara 2026 Pzt, saat 10:00 tarihinde Northwind Destek <destek@northwind.example> şunu yazdı:\n\n"
        "> Merhaba Ayşe,\n> sorun devam ediyor mu?\n",
        "Teşekkürler, sorun çözüldü.",
    ),
    (
        "tr apple mail",
        "Perşembe uygun.\n\niPhone'umdan gönderildi\n\n"
        "> 7 Ara 2026 tarihinde 10:00 saatinde, Northwind Destek <destek@northwind.example> şunları yazdı:\n"
        "> \n> Perşembe uygun mu?\n",
        "Perşembe uygun.",
    ),
    (
        "tr outlook",
        "Lütfen beni arayın.\n\n"
        "Kimden: Northwind Destek <destek@northwind.example>\n"
        "Gönderildi: 7 Aralık 2026 Pazartesi 10:00\n"
        "Kime: Ayşe Yılmaz <ayse@example.com>\n"
        "Konu: Siparişiniz\n\nMerhaba Ayşe,\n",
        "Lütfen beni arayın.",
    ),
    (
        "tr thunderbird forward",
        "Bu iletiyi dün aldım.\n\n-------- İletilen Mesaj --------\nKonu: Siparişiniz\n"
        "Tarih: 7.12.2026 10:00\nKimden: Northwind Destek <destek@northwind.example>\n\nMerhaba,\n",
        "Bu iletiyi dün aldım.",
    ),
]


@pytest.mark.parametrize(
    ("body", "expected"), [(b, e) for _, b, e in REPLIES], ids=[n for n, _, _ in REPLIES]
)
def test_the_quoted_history_is_removed(body: str, expected: str) -> None:
    # GIVEN a reply as a mail client sends it WHEN its new text is taken THEN only the customer's words remain
    assert new_text(body) == expected


ATTRIBUTIONS = {
    "en": "On Mon, 7 Dec 2026 at 10:00, Northwind Care <care@northwind.example> wrote:",
    "de": "Am 07.12.2026 um 10:00 schrieb Northwind Kundenservice <service@northwind.example>:",
    "nb": "man. 7. des. 2026 kl. 10:00 skrev Northwind kundeservice <kundeservice@northwind.example>:",
    "ja gmail": "2026年12月7日(月) 10:00 Northwind サポート <support@northwind.example>:",
    "ja apple mail": "2026/12/07 10:00、Northwind サポート <support@northwind.example>のメール:",
    "ja thunderbird": "2026/12/07 10:00 に Northwind サポート さんは書きました:",
    "zh": "在 2026年12月7日周一 10:00，Northwind 客服 <kefu@northwind.example> 写道：",
    "tr": "7 Ara 2026 tarihinde 10:00 saatinde, Northwind Destek <destek@northwind.example> şunları yazdı:",
}


@pytest.mark.parametrize("attribution", list(ATTRIBUTIONS.values()), ids=list(ATTRIBUTIONS))
def test_an_attribution_cuts_history_quoted_without_marks(attribution: str) -> None:
    # GIVEN a client that quotes the history below its attribution without ">"
    body = f"Thanks, all good now.\n\n{attribution}\n\nHello,\nthis is the message you answered.\n"
    # WHEN its new text is taken THEN the attribution, in each language, ends what the customer wrote
    assert new_text(body) == "Thanks, all good now."


def test_a_reply_without_quote_stays_as_it_is() -> None:
    # GIVEN a reply with nothing quoted (a list, a colon, a "wrote" of the customer's own)
    body = (
        "Hello,\n\nmy order 4471 arrived broken:\n- the lid is cracked\n- one cup is missing\n\n"
        "I wrote to you twice about it.\n\n  Ada"
    )
    # WHEN its new text is taken THEN it is unchanged, and only surrounding whitespace is trimmed
    assert new_text(body) == body
    assert new_text("\n\n  " + body + "  \n\n") == body


def test_bottom_posting_keeps_what_is_written_below_the_quote() -> None:
    # GIVEN a reply written below the quoted message
    body = (
        "On Mon, 7 Dec 2026 at 10:00, Northwind Care <care@northwind.example> wrote:\n"
        "> Would Thursday suit you?\n>\n> Northwind Care\n\nYes, Thursday after 2pm.\n\nAda\n"
    )
    # WHEN its new text is taken THEN what the customer wrote below is kept
    assert new_text(body) == "Yes, Thursday after 2pm.\n\nAda"


def test_answers_between_quoted_lines_are_kept() -> None:
    body = (
        "Am 07.12.2026 um 10:00 schrieb Northwind Kundenservice <service@northwind.example>:\n"
        "> Ist der Karton beschädigt?\nJa, eingedrückt.\n> Möchten Sie eine Erstattung?\nLieber Ersatz.\n"
    )
    assert new_text(body) == "Ja, eingedrückt.\n\nLieber Ersatz."


def test_a_wrapped_attribution_does_not_take_the_customers_last_line_with_it() -> None:
    # GIVEN the customer's last lines sit right above an attribution (one of them opening with a digit)
    body = "Best,\nAda\nOn Mon, 7 Dec 2026 at 10:00, Northwind Care <care@northwind.example> wrote:\n> Hi\n"
    wrapped = (
        "10 items were missing.\nOn Mon, 7 Dec 2026 at 10:00, Northwind Care <\n"
        "care@northwind.example> wrote:\n> Hi\n"
    )
    # WHEN their new text is taken THEN those lines are kept
    assert new_text(body) == "Best,\nAda"
    assert new_text(wrapped) == "10 items were missing."


def test_an_attribution_in_another_language_is_dropped_when_a_quote_follows() -> None:
    body = "Merci.\n\nLe lun. 7 déc. 2026 à 10:00, Northwind <care@northwind.example> a écrit :\n> Bonjour\n"
    assert new_text(body) == "Merci."


def test_a_customers_sentence_ending_in_wrote_is_not_history() -> None:
    # GIVEN a sentence with a time that ends in "wrote:" but opens like no attribution, no quote below
    body = "Our parcel came at 10:00 and this is what the driver wrote:\nLeft at the door.\n\nAda"
    # THEN nothing is cut
    assert new_text(body) == body


def test_a_mobile_signature_is_dropped_only_at_the_end() -> None:
    # GIVEN a phrase like a signature in the middle of the message, and a real one at its end
    body = "Sent from my iPhone\nthe photos did not arrive, can you check?\n\nGesendet von meinem iPad"
    # THEN only the one at the end goes
    assert new_text(body) == "Sent from my iPhone\nthe photos did not arrive, can you check?"
    # and an ordinary last sentence that looks alike stays
    assert new_text("Das Ersatzteil wurde gesendet von Hamburg aus.") == (
        "Das Ersatzteil wurde gesendet von Hamburg aus."
    )
    assert new_text("Ürün depodan gönderildi") == "Ürün depodan gönderildi"


def test_a_header_like_pair_of_lines_is_not_an_outlook_block() -> None:
    body = "From: my home address\nTo: your warehouse\nthe parcel went the wrong way."
    assert new_text(body) == body


def test_a_dashed_line_of_the_customers_own_stays() -> None:
    body = "Update\n---- still broken ----\nPlease send a technician."
    assert new_text(body) == body


def test_a_reply_that_is_only_history_has_no_new_text() -> None:
    assert new_text("> On 7 Dec 2026, at 10:00, Northwind wrote:\n> Hello\n") == ""
    assert new_text("-----Original Message-----\nFrom: a\nSent: b\nTo: c\n\nold text") == ""
    assert new_text("") == ""


# --- HTML-only mail

GMAIL_HTML = (
    '<html><head><style>p {margin:0}</style></head><body><div dir="ltr">Thanks, that&nbsp;works.'
    "<div><br></div><div>Ada</div></div><br>"
    '<div class="gmail_quote gmail_quote_container"><div dir="ltr" class="gmail_attr">'
    "On Mon, 7 Dec 2026 at 10:00, Northwind Care &lt;care@northwind.example&gt; wrote:<br></div>"
    '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex">'
    "<div>Hello Ada,<blockquote>older</blockquote> does it work now?</div></blockquote></div></body></html>"
)
OUTLOOK_HTML = (
    '<html><body><div style="font-family:Aptos">Please call me.</div>'
    '<div id="appendonsend"></div><hr style="display:inline-block;width:98%">'
    '<div id="divRplyFwdMsg" dir="ltr"><b>From:</b> Northwind Care<br><b>Sent:</b> Monday</div>'
    "<div>Hello Ada, your order ...</div></body></html>"
)
OUTLOOK_DESKTOP_HTML = (
    "<div class=WordSection1><p class=MsoNormal>Erledigt, danke.<o:p></o:p></p>"
    "<div><div style='border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm'>"
    "<p class=MsoNormal><b>Von:</b> Northwind</p></div></div><p class=MsoNormal>Hallo Ada</p></div>"
)
APPLE_HTML = (
    '<html><body dir="auto"><div dir="ltr">周四可以。</div><div dir="ltr"><br>'
    '<blockquote type="cite">2026年12月7日 10:00，Northwind 客服 '
    "&lt;kefu@northwind.example&gt; 写道：<br><br>"
    '</blockquote></div><blockquote type="cite"><div dir="ltr">周四方便吗？</div></blockquote></body></html>'
)
APPLE_HTML_ATTRIBUTION_OUTSIDE = (
    "<div>Yes, Thursday works.<br><br>Sent from my iPhone</div><div><br>"
    "On 7 Dec 2026, at 10:00, Northwind Care &lt;care@northwind.example&gt; wrote:<br><br></div>"
    '<blockquote type="cite"><div>Would Thursday suit you?</div></blockquote>'
)


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        (GMAIL_HTML, "Thanks, that works.\n\nAda"),
        (OUTLOOK_HTML, "Please call me."),
        (OUTLOOK_DESKTOP_HTML, "Erledigt, danke."),
        (APPLE_HTML, "周四可以。"),
        (APPLE_HTML_ATTRIBUTION_OUTSIDE, "Yes, Thursday works."),
    ],
    ids=["gmail", "outlook web", "outlook desktop", "apple mail", "apple mail, attribution outside"],
)
def test_html_mail_loses_its_quoted_parts(html: str, expected: str) -> None:
    # GIVEN an HTML-only reply WHEN its text, then its new text, is taken THEN only the customer's words stay
    assert new_text(text_of_html(html)) == expected


def test_html_without_quote_keeps_its_text_and_lines() -> None:
    html = "<p>Hello,</p><p>the lid is <b>cracked</b>.<br>Ada</p><script>alert(1)</script>"
    assert text_of_html(html) == "Hello,\n\nthe lid is cracked.\nAda"


# --- Robustness

FRAGMENTS = [
    "On ",
    "Am ",
    " wrote:",
    " schrieb ",
    " skrev ",
    "写道：",
    "のメール:",
    " şunu yazdı:",
    "2026年12月7日(月) 10:00 ",
    "<a@example.com>",
    "From: x",
    "Von: x",
    "Sent: y",
    "To: z",
    "Subject: s",
    "-----Original Message-----",
    "-----",
    "________________________________",
    "Sent from my iPhone",
    "iPhoneから送信",
    "> ",
    ">",
    "\n",
    "\r\n",
    "\r",
    "\u2028",
    " ",
    ":",
    "10:00",
    "@",
    "Ada",
]
BODIES = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=8)), max_size=40).map("".join)


@settings(max_examples=300, deadline=None)
@given(BODIES)
def test_new_text_never_raises_nor_grows(body: str) -> None:
    # GIVEN any body WHEN its new text is taken THEN it is a part of it, never longer
    result = new_text(body)
    assert len(result) <= len(body)
    assert new_text(result) == new_text(new_text(result))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["<div>", "</div>", "<blockquote>", "</blockquote>", "a", "<br>", "&amp;"])))
def test_text_of_html_never_raises(parts: list[str]) -> None:
    assert isinstance(text_of_html("".join(parts)), str)


LARGE = 200_000
LARGE_BODIES = {
    "one long line": "a" * LARGE,
    "one long line ending like an attribution": "On " + "x " * (LARGE // 2) + "wrote:",
    "dashes": "-" * LARGE,
    "short lines ending in colons": "On 7 Dec 2026 at 10:00 a@b schrieb:\n" * (LARGE // 36),
    "header lines": "From: a\nSent: b\n" * (LARGE // 16),
    "quotes and attributions": "text\nOn 1 at 10:00 wrote:\n> q\n" * (LARGE // 28),
    "signature-like lines": ("Sent from my " + "a" * 30 + "\n") * (LARGE // 44),
    "banners": ("--" + " original" * 9 + " -\n") * (LARGE // 84),
}


@pytest.mark.parametrize("body", list(LARGE_BODIES.values()), ids=list(LARGE_BODIES))
def test_a_large_body_is_read_in_linear_time(body: str) -> None:
    # GIVEN a 200 KB body shaped to make a regular expression backtrack WHEN its new text is taken
    assert len(body) >= LARGE * 0.9
    started = time.perf_counter()
    new_text(body)
    # THEN it takes a fraction of a second (0.2 s at most on a loaded two-core machine; backtracking or a
    # quadratic scan would take minutes)
    assert time.perf_counter() - started < 2.0


def test_a_large_html_body_is_read_quickly() -> None:
    html = "<div>" + "<blockquote><p>old</p>" * 5_000 + "x" * LARGE + "</blockquote>" * 5_000 + "</div>"
    started = time.perf_counter()
    assert text_of_html(html) == ""
    assert time.perf_counter() - started < 2.0
