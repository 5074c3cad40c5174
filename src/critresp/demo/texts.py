"""Text templates for demo incidents: who reports whom, case titles, reporter
statements (first person), follow-up messages and internal notes.

Templates use ``str.format`` fields:

``{subj}``   how the reporter refers to the subject ("my shopper", "the customer")
``{Subj}``   the subject's role for titles ("Shopper", "Customer", "Store staff")
``{sname}``  the subject's first name as the app showed it
``{store}``  the store's name, ``{order}`` the order id, ``{item}`` an item on it
``{when}``   a loose time ("last night around 9"), ``{vehicle}`` a car, ``{street}``
"""

from __future__ import annotations

from ..domain.taxonomy import PartyRole

C, S, R = PartyRole.CUSTOMER, PartyRole.SHOPPER, PartyRole.RETAILER

# category -> ((reporter role, subject role, weight), ...)
ROLE_PAIRS: dict[str, tuple[tuple[PartyRole, PartyRole, int], ...]] = {
    "assault": ((C, S, 6), (S, C, 4)),
    "weapon": ((C, S, 5), (S, C, 5)),
    "sexual_misconduct": ((C, S, 5), (S, C, 5)),
    "crash_injury": ((C, S, 7), (R, S, 3)),
    "stalking": ((C, S, 6), (S, C, 4)),
    "self_harm_medical": ((S, C, 6), (C, S, 4)),
    "discrimination": ((C, S, 4), (S, C, 4), (S, R, 2)),
    "alcohol_violation": ((C, S, 5), (R, S, 5)),
    "fake_id": ((S, C, 7), (R, C, 3)),
    "reckless_driving": ((C, S, 8), (R, S, 2)),
    "doxxing": ((S, C, 6), (C, S, 4)),
    "account_sharing": ((C, S, 8), (R, S, 2)),
    "gps_spoofing": ((C, S, 6), (R, S, 4)),
    "ban_evasion": ((C, S, 5), (S, C, 5)),
    "theft_evidence": ((C, S, 6), (R, S, 4)),
    "staff_harassment": ((S, R, 10),),
    "tip_pressure": ((C, S, 10),),
    "off_app_contact": ((C, S, 6), (S, C, 4)),
    "inappropriate_questions": ((C, S, 5), (S, C, 5)),
    "false_claims": ((S, C, 6), (R, C, 4)),
    "promo_abuse": ((R, C, 10),),
    "theft_pattern": ((R, S, 6), (C, S, 4)),
    "profanity": ((C, S, 5), (S, C, 5)),
    "rude_tone": ((C, S, 4), (S, C, 4), (S, R, 2)),
    "missing_item": ((C, S, 10),),
    "uncategorized": ((C, S, 6), (S, C, 4)),
}

ROLE_WORD = {C: "Customer", S: "Shopper", R: "Store staff"}

# How a reporter of role X refers to a subject of role Y.
SUBJ_PHRASES: dict[tuple[PartyRole, PartyRole], tuple[str, ...]] = {
    (C, S): ("my shopper", "the shopper", "the shopper who delivered my order", "the delivery person"),
    (S, C): ("the customer", "the customer on this order", "the person who placed the order"),
    (R, S): ("a shopper", "the shopper picking this order", "a shopper at our store"),
    (R, C): ("the customer", "this customer", "the account holder"),
    (S, R): ("a store employee", "the staff member at the pickup counter", "a store manager"),
    (C, R): ("the store staff", "an employee at the store"),
}

TITLES: dict[str, tuple[str, ...]] = {
    "assault": ("{Subj} made threats at door", "{Subj} shoved {rep} during handoff",
                "{Subj} threatened to come back and hurt {rep}", "Physical altercation at drop-off"),
    "weapon": ("{Subj} displayed a knife at delivery", "{Subj} showed a gun during handoff",
               "Weapon visible during delivery, {rep} frightened"),
    "sexual_misconduct": ("{Subj} made sexual comments and touched {rep}", "Unwanted sexual advance at delivery",
                          "{Subj} exposed themself at door"),
    "crash_injury": ("Shopper in crash with injury while on delivery", "Delivery vehicle hit pedestrian",
                     "Crash with injury reported near drop-off"),
    "stalking": ("{Subj} keeps showing up at {rep}'s home", "{Subj} followed {rep} after order",
                 "Repeated unwanted visits by {subj_l}"),
    "self_harm_medical": ("{Subj} collapsed during delivery", "Possible self-harm statement by {subj_l}",
                          "Medical emergency at drop-off"),
    "discrimination": ("{Subj} used a racial slur", "{Subj} refused service based on religion",
                       "Discriminatory remarks by {subj_l}"),
    "alcohol_violation": ("Alcohol delivered without ID scan", "Alcohol handed to a minor",
                          "Alcohol delivered to visibly intoxicated customer"),
    "fake_id": ("{Subj} presented a fake ID for alcohol", "Suspected fake ID at alcohol handoff"),
    "reckless_driving": ("{Subj} speeding and running stop signs", "Reckless driving near {rep}'s home",
                         "{Subj} nearly hit a child while parking"),
    "doxxing": ("{Subj} posted {rep}'s address online", "Personal details shared on social media",
                "{Subj} threatened to publish {rep}'s phone number"),
    "account_sharing": ("Shopper did not match profile photo", "Different person delivering on shopper account",
                        "Identity mismatch at delivery"),
    "gps_spoofing": ("Shopper location jumps, order marked delivered", "Suspected GPS spoofing on batch",
                     "GPS shows shopper at door, nobody came"),
    "ban_evasion": ("Previously banned user back on new account", "Suspected ban evasion by {subj_l}",
                    "Same person as earlier report, new account"),
    "theft_evidence": ("Doorbell camera shows shopper taking items", "{Subj} left store with unpaid items",
                       "Package taken back by shopper on video"),
    "staff_harassment": ("Store staff harassed shopper at pickup", "Store manager yelled at and blocked shopper",
                         "Shopper harassed by store employee"),
    "tip_pressure": ("{Subj} demanded a higher tip", "Shopper threatened bad rating over tip",
                     "Tip pressure before handing over order"),
    "off_app_contact": ("{Subj} contacted {rep} on personal number", "Unwanted social media messages from {subj_l}",
                        "Contact outside the app after delivery"),
    "inappropriate_questions": ("{Subj} asked personal questions", "{Subj} asked if {rep} lives alone",
                                "Inappropriate questions during delivery"),
    "false_claims": ("Repeated missing-item claims on delivered orders", "Refund claim contradicted by photo",
                     "Customer claims non-delivery again"),
    "promo_abuse": ("Promo codes reused across accounts", "Suspected promo abuse, many new accounts",
                    "Referral credit farming"),
    "theft_pattern": ("Pattern of missing items on this shopper's orders", "Items repeatedly short on shopper's batches",
                      "Possible theft pattern, no proof yet"),
    "profanity": ("{Subj} swore at {rep}", "Profanity in chat from {subj_l}", "{Subj} cursed over substitutions"),
    "rude_tone": ("{Subj} was rude at handoff", "Dismissive and rude messages from {subj_l}",
                  "Rude behaviour during delivery"),
    "missing_item": ("Missing item on order", "{item} missing from order", "One item not delivered"),
    "uncategorized": ("New report needs triage", "Report about {subj_l}", "Incident reported on order"),
}

WHEN: tuple[str, ...] = (
    "last night around 9", "this afternoon", "about an hour ago", "this morning", "tonight",
    "around 7:30 pm", "yesterday evening", "just now", "earlier today", "around noon",
)

OPENERS: tuple[str, ...] = (
    "", "", "", "Hi. ", "Hello. ", "I need to report something. ", "Please read this. ",
    "I'm writing about order {order}. ", "I don't usually report things. ", "This is really upsetting. ",
)

CLOSERS: tuple[str, ...] = (
    "", "", " Please call me back.", " I have photos if you need them.",
    " Please make sure this doesn't happen to anyone else.", " I would like someone to contact me today.",
    " Thank you.", " I can give more details by phone.", " I want to know what you are going to do about this.",
)

# extra closers for T0/T1 reports only
SAFETY_CLOSERS: tuple[str, ...] = (
    " I don't feel safe using the app until this is handled.", " Please call me as soon as you can.",
    " I'm still shaking.", " I don't want this person anywhere near my home again.",
)

# Reporter statements: (reporter role or None for any, template[, subject role]).
# A template with a subject role is used only for that subject (e.g. store staff).
STATEMENTS: dict[str, tuple[tuple, ...]] = {
    "assault": (
        (C, "When {subj} ({sname}) brought my groceries {when} I mentioned an item was missing and he got in my face, "
            "said he knows where I live now and I'd better watch myself. He slammed my door on the way out."),
        (C, "{subj} pushed me when I asked to check the bags. I fell against the door frame and my arm is bruised. "
            "My neighbour saw it."),
        (S, "I was delivering order {order} {when}. {subj} grabbed my wrist and would not let go until I dropped the bags. "
            "He screamed that he would find me after my shift."),
        (S, "{subj} came out yelling, threw the bag of {item} at me and threatened to beat me up if I came back. "
            "I drove away and parked two streets over to write this."),
        (None, "{subj} threatened to kill me. I am scared and I locked my door. This happened {when} on {street}."),
    ),
    "weapon": (
        (C, "When I opened the door {subj} had a knife in his hand and kept flicking it open while I signed. "
            "He said 'relax, it's just for protection' but I was terrified."),
        (C, "{subj} ({sname}) had a handgun in his waistband and made sure I saw it when I asked about the missing {item}."),
        (S, "{subj} answered the door holding a baseball bat and told me to leave the bags and get off his property. "
            "Then he followed me to my car with it."),
        (S, "The customer showed me a gun when I said I needed to scan ID for the alcohol. I left without completing the order."),
    ),
    "sexual_misconduct": (
        (C, "{subj} made comments about my body, asked if I was alone and then touched my waist when handing over the bags. "
            "I shut the door on him."),
        (C, "{subj} sent me sexual messages through the app chat after the delivery and a photo I did not ask for."),
        (S, "The customer answered the door undressed and asked me to come inside. When I refused he grabbed my arm. "
            "This was {when} at {street}."),
        (S, "{subj} kept calling me 'sweetheart', asked for my number and tried to kiss me at the door."),
    ),
    "crash_injury": (
        (C, "I saw my shopper's {vehicle} crash into a cyclist right outside my building {when}. The cyclist was bleeding "
            "and the shopper drove off before the ambulance came."),
        (C, "{subj} backed into me in the parking lot while I was walking to the door. My knee is hurt and I'm going to urgent care."),
        (R, "A shopper hit one of our employees with their car in the pickup lane {when}. Our employee was taken to hospital. "
            "The shopper was picking up order {order}."),
    ),
    "stalking": (
        (C, "{subj} delivered to me last week and has now come to my house three times without an order. "
            "Yesterday he was sitting in his {vehicle} across the street for an hour."),
        (C, "{subj} ({sname}) keeps requesting my orders and sends me messages about what I wear. I think he is following me."),
        (S, "The customer followed me from the drop-off to my next delivery and waited outside. "
            "Now he keeps ordering from my area and asking for me by name."),
    ),
    "self_harm_medical": (
        (S, "When I arrived the customer was on the floor and barely responding. I called 911 and stayed until paramedics came. "
            "I'm shaken and want to make sure they are OK."),
        (S, "The customer told me they didn't need the groceries because they would not be alive tomorrow. "
            "I didn't know what to do. Address is on order {order}."),
        (C, "My shopper collapsed on my doorstep and hit his head. I called an ambulance. His car is still parked outside."),
        (C, "{subj} seemed very confused, slurring and sweating, and said he had not eaten in two days. I'm worried he shouldn't be driving."),
    ),
    "discrimination": (
        (C, "{subj} called me a racial slur when I asked him to bring the bags to the door. I can repeat the word to an agent if needed."),
        (C, "{subj} saw my hijab and said he doesn't deliver to 'people like you', then left my order on the sidewalk."),
        (S, "The customer refused to take the order from me and said he doesn't want 'foreigners' touching his food. "
            "He used a slur in the chat too.", C),
        (S, "{subj} mocked my accent and told the other staff to 'make this one wait'. I waited 40 minutes while others were served.", R),
    ),
    "alcohol_violation": (
        (C, "My son is 16 and {subj} handed him a case of beer without checking any ID. I found it in his room."),
        (C, "{subj} delivered vodka to my neighbour who was clearly drunk and could barely stand. No ID scan happened."),
        (R, "Our cashier saw {subj} skip the ID scan and mark it complete for {item} on order {order}. Camera footage available."),
        (R, "A shopper picked up wine for order {order} at our counter and told us the customer was 'definitely over 21' without scanning anything."),
    ),
    "fake_id": (
        (S, "The ID the customer showed for the alcohol had a different photo and the card felt like paper. "
            "When I said I couldn't accept it he got angry."),
        (S, "Customer scanned an ID that failed twice then showed me a picture of one on his phone. He looked about 17."),
        (R, "A customer tried to collect an alcohol order at our store with an ID our scanner flagged as altered."),
    ),
    "reckless_driving": (
        (C, "{subj} in a {vehicle} flew down {street} at twice the speed limit and ran two stop signs before parking at my house."),
        (C, "{subj} was texting while driving and nearly hit my daughter on her bike when pulling into our driveway."),
        (R, "A shopper raced through our parking lot and clipped a cart corral, kids were walking right there."),
    ),
    "doxxing": (
        (S, "The customer posted my full name, my car plate and my home street in a neighbourhood group after I marked an item out of stock."),
        (S, "{subj} found my Instagram and messaged that he knows my address now and posted screenshots of my profile."),
        (C, "{subj} put a photo of my front door and my phone number in a public post saying I'm a bad tipper."),
    ),
    "account_sharing": (
        (C, "The app said my shopper was {sname}, a woman in her 30s, but a teenage boy delivered the order. He didn't know the name on the account."),
        (C, "The person who delivered doesn't match the profile photo at all. When I asked, he said his cousin 'lends' him the account."),
        (R, "The person picking order {order} in our store showed us a profile that wasn't his and said he was 'helping out a friend'."),
    ),
    "gps_spoofing": (
        (C, "The map showed {subj} at my door for 20 minutes and then the order was marked delivered. Nobody came and nothing was left."),
        (C, "The shopper's location jumped from across town to my street in one second and back again. The order never arrived."),
        (R, "The shopper's app shows him checked in at our store but he was not here. This has happened on several batches."),
    ),
    "ban_evasion": (
        (C, "This is the same man who threatened me in the spring. Different name on the app but same face, same car, same phone voice."),
        (C, "I blocked this shopper before but he's back under a new name. I recognise him and his {vehicle}."),
        (S, "The customer who was banned after spitting at me last month just ordered again with a new account and the same address."),
    ),
    "theft_evidence": (
        (C, "My doorbell camera shows {subj} putting the bag of {item} back in his car after taking the photo for proof of delivery."),
        (C, "The video clearly shows the shopper opening my bag and eating from it before leaving half the order."),
        (R, "Our cameras show a shopper walking out with a cart of unpaid items after scanning only some of them on order {order}."),
    ),
    "staff_harassment": (
        (S, "{subj} at {store} called me a parasite and told me to get out of line every time I come in. Today he physically blocked the door."),
        (S, "{subj} at {store} follows me around the aisles, comments on my appearance and asked for my number three times."),
        (S, "The manager at {store} screamed at me in front of customers and threatened to call police because I used the restroom."),
    ),
    "tip_pressure": (
        (C, "{subj} ({sname}) said he'd only bring the last bags up if I raised the tip to $20, and that otherwise he'd 'remember' me."),
        (C, "Before handing over the order {subj} told me his rating depends on me and asked me to give 5 stars and more tip in cash."),
        (C, "{subj} messaged me that I am 'cheap' and that he hopes I enjoy my squished {item} because of my tip."),
        (C, "{subj} waited at my door and asked me to change the tip in the app in front of him before he would leave."),
        (C, "I got three chat messages from {subj} asking me to 'fix' my tip, the last one after I had already rated him."),
        (C, "{subj} told me other customers on my street tip $15 and asked why I was different. It made me uncomfortable."),
    ),
    "off_app_contact": (
        (C, "{subj} texted my personal number the day after delivery asking if I wanted to 'hang out'. I never gave him my number."),
        (C, "{subj} found me on Facebook and sent me a friend request and messages about my order."),
        (C, "{subj} left a handwritten note with his number in my bag of {item} saying to call him for 'cheaper deliveries'."),
        (C, "Two days after my order {subj} messaged me on WhatsApp from his own number. I never shared it with him."),
        (S, "The customer keeps calling my personal phone after the delivery, asking me to shop for him directly for cash."),
        (S, "{subj} added me on Instagram after the delivery and keeps messaging me at night. I didn't give him my account."),
    ),
    "inappropriate_questions": (
        (C, "{subj} asked if I live alone, what time I get home from work and whether I have a boyfriend."),
        (C, "{subj} asked me about my immigration status and where my family is from while I was signing."),
        (C, "{subj} asked how old my daughter is and whether she is home alone after school. It really scared me."),
        (C, "When I opened the door {subj} asked about my religion and whether I 'really believe that stuff'."),
        (S, "The customer asked me how much I make, whether I'm married and if I want to come in for a drink."),
        (S, "{subj} asked me what neighbourhood I live in and what time my shift ends. I didn't answer."),
    ),
    "false_claims": (
        (S, "This customer reported missing items again even though my photo shows every bag at the door. Fourth time this month for me."),
        (S, "The customer says the order never arrived but I handed it to her in person and she thanked me."),
        (S, "My delivery photo clearly shows the {item} in the bag, but the customer claimed it was missing and my rating dropped."),
        (S, "I have delivered to this address three times and every time the customer reports the whole order missing. I have photos of each."),
        (R, "We noticed this account has asked for refunds on most of its orders with us, always for the same expensive items."),
        (R, "Our staff packed and sealed order {order} on camera. The customer now claims half of it was missing. We'd like this reviewed."),
    ),
    "promo_abuse": (
        (R, "We are seeing the same first-order promo redeemed by many new accounts going to one address."),
        (R, "One customer account seems to create referral accounts that order once each, all to the same apartment. We think it's one person."),
        (R, "Our store manager noticed the same card paying for orders from six new accounts this week, each using the welcome code."),
        (R, "We keep getting orders with the maximum promo discount to one building on {street}, always a different account name but the same phone."),
    ),
    "theft_pattern": (
        (R, "Orders picked by this shopper at our store keep coming back with items missing that were paid for, mostly {item}."),
        (R, "Our staff have seen this shopper put items in a personal bag twice, but we have no clear footage yet."),
        (C, "This is the third order from this shopper with things missing from my bags. Each time it's the expensive items."),
        (C, "My receipt shows {item} and meat, both missing again. Same shopper as my last two orders."),
    ),
    "profanity": (
        (C, "{subj} swore at me when I asked for a substitution to be changed. Not threatening, just really unpleasant."),
        (C, "{subj} sent 'F this' in the chat when I asked him to use the side door."),
        (C, "{subj} muttered curses at me in front of my kids because the elevator was slow. I didn't feel unsafe but it was ugly."),
        (C, "When I said the {item} was the wrong size {subj} swore at me and hung up."),
        (S, "The customer cursed me out over the phone because the store was out of {item}."),
        (S, "{subj} swore at me in the chat for ten minutes about the substitutions. I just want it on record."),
    ),
    "rude_tone": (
        (C, "{subj} was very rude to me, rolled his eyes and dropped the bags on the step without a word."),
        (C, "{subj} called me 'lazy' for not coming down to the lobby. I was on a work call."),
        (C, "I asked {subj} politely to be careful with the eggs and he laughed at me and said 'not my problem'."),
        (S, "The customer kept sending me messages in all caps calling me slow and stupid."),
        (S, "{subj} slammed the door in my face and yelled that I was useless, all because the {item} was substituted."),
        (S, "The staff at {store} ignored me for 20 minutes at the pickup counter and were rude when I asked for help.", R),
    ),
    "missing_item": (
        (C, "My order {order} arrived without the {item} and I was charged for it."),
        (C, "The {item} is missing from my order. Everything else was fine."),
        (C, "I paid for {item} but it was not in any of the bags. The shopper didn't mention a substitution."),
        (C, "One bag seems to be missing. I'm missing the {item} and the receipt says it was picked."),
        (C, "I was charged for {item} twice and only got one, and the other one is nowhere in my bags."),
    ),
    "uncategorized": (
        (None, "Something happened with order {order} that I want someone to look at. {subj} acted strangely and I'm not sure what to do."),
        (None, "I'm not sure who to contact about this. {subj} made me uncomfortable {when}."),
    ),
}

# Hostile text a user could type; it must be shown literally, never interpreted.
HOSTILE: tuple[str, ...] = (
    "[bold red]URGENT[/]",
    "[link=http://x]click[/link]",
    "\x1b[2J",
    "\x1b[31mREAD THIS\x1b[0m",
    "[blink]help[/blink] [/]",
    "[@click=app.quit]close[/]",
    "\x1b]0;pwned\x07",
    "<script>alert(1)</script>",
    "{{ case.id }} {% if 1 %}x{% endif %}",
    "[reverse]  [/reverse]\r\n\x08\x08",
)

FOLLOW_UPS: tuple[str, ...] = (
    "Is anyone looking at this? It's been hours.",
    "Adding a detail: he was wearing a grey hoodie and drove a {vehicle}.",
    "I attached the photos from my doorbell camera.",
    "Please don't tell him I reported this.",
    "I checked again and I am sure about what happened.",
    "Any update? I'm still worried.",
    "My neighbour can confirm what I said if you need a witness.",
    "I'd prefer email, I can't talk on the phone at work.",
)

# The subject's own account, by the subject's role.
SUBJECT_ACCOUNTS: dict[PartyRole, tuple[str, ...]] = {
    S: (
        "That is not what happened. I delivered the order politely and left.",
        "I was having a bad day and I'm sorry if I came across wrong, but I never threatened anyone.",
        "The customer was the one yelling at me. I have done hundreds of deliveries without a problem.",
        "I don't remember this order at all.",
        "I admit I said something I shouldn't have. It won't happen again.",
        "Why is my account on hold? I need this income. Please call me.",
        "I followed every step in the app. Check the photos.",
    ),
    C: (
        "That's not true. I took my groceries and closed the door, that's all.",
        "The shopper was late and rude to me first. I only told him what I thought.",
        "I never contacted anyone outside the app. Someone else must be using my name.",
        "I'm sorry, I was upset about the order. I didn't mean it the way it sounded.",
        "Why is my account restricted? I have ordered for years without a problem.",
        "I don't know what this is about. Please explain what I am accused of.",
    ),
    R: (
        "Our store manager has looked into this and disputes the account. We'd like to see the details.",
        "We have spoken with the employee involved and will send our CCTV stills.",
        "We take this seriously. The staff member has been moved off the pickup counter while we review.",
    ),
}

NOTES: tuple[str, ...] = (
    "Reviewed order timeline for {order}: delivery photo and GPS consistent with reporter's account.",
    "Checked subject history: see party history panel; prior reports noted.",
    "Called reporter, confirmed details. Reporter is safe and prefers email follow-up.",
    "Photo/video evidence reviewed; consistent with the report.",
    "GPS trace shows shopper at drop-off for {minutes} min, longer than typical.",
    "Subject's statement contradicts delivery photo. Leaning toward action.",
    "No corroborating evidence found in chat logs. Keeping open for subject's reply.",
    "Store confirmed incident and will send CCTV stills.",
    "Linked-account check run: shared device/payment flagged, see linked accounts.",
    "Left voicemail for subject, sent in-app message as well.",
)

ESCALATION_REASONS: dict[str, str] = {
    "emergency_services": "Caller reported immediate danger; advised to call 911, welfare check requested.",
    "law_enforcement": "Credible threat of violence; evidence preserved for law enforcement request.",
    "lead": "Needs lead review: possible L4 with linked accounts.",
    "legal": "Reporter's attorney contacted us; routing to legal.",
}

RULES: dict[str, str] = {
    "assault": "CG-1.1 Violence and threats",
    "weapon": "CG-1.2 Weapons",
    "sexual_misconduct": "CG-1.3 Sexual misconduct",
    "crash_injury": "CG-2.4 Safe driving and incidents",
    "stalking": "CG-1.4 Stalking and unwanted contact",
    "self_harm_medical": "CG-0.1 Safety first",
    "discrimination": "CG-3.1 Non-discrimination",
    "alcohol_violation": "CG-5.1 Alcohol delivery and ID checks",
    "fake_id": "CG-5.2 Identity documents",
    "reckless_driving": "CG-2.1 Safe driving",
    "doxxing": "CG-3.4 Privacy of others",
    "account_sharing": "CG-4.1 One person, one account",
    "gps_spoofing": "CG-4.3 Location integrity",
    "ban_evasion": "CG-4.2 Ban evasion",
    "theft_evidence": "CG-6.1 Theft",
    "staff_harassment": "CG-3.2 Harassment",
    "tip_pressure": "CG-3.5 Tips and ratings",
    "off_app_contact": "CG-3.6 Contact outside the app",
    "inappropriate_questions": "CG-3.3 Respectful conduct",
    "false_claims": "CG-6.3 Honest claims",
    "promo_abuse": "CG-6.4 Promotions",
    "theft_pattern": "CG-6.2 Order integrity",
    "profanity": "CG-3.3 Respectful conduct",
    "rude_tone": "CG-3.3 Respectful conduct",
    "missing_item": "CG-6.2 Order integrity",
    "uncategorized": "CG-3.3 Respectful conduct",
}

RESTRICTIONS: tuple[str, ...] = (
    "no alcohol orders",
    "block customer-shopper pairing",
    "chat disabled",
    "no high-value orders",
    "contactless delivery only",
)
