"""Demo help-center content for `manage.py seed_help_center` (and the tests' article set).

A small shop's help center: three categories, Japanese and English, some articles in only one
language, two labelled "faq", one for agents only. Article bodies are Markdown.
"""

from __future__ import annotations

CATEGORIES = [
    {
        "slug": "orders-shipping",
        "position": 1,
        "name_ja": "ご注文・配送",
        "name_en": "Orders and shipping",
        "description_ja": "ご注文の変更やキャンセル、配送状況について",
        "description_en": "Changing or cancelling an order, and where your parcel is.",
        "sections": [
            {"slug": "orders", "position": 1, "name_ja": "ご注文", "name_en": "Orders"},
            {"slug": "shipping", "position": 2, "name_ja": "配送", "name_en": "Shipping"},
        ],
    },
    {
        "slug": "returns-payments",
        "position": 2,
        "name_ja": "返品・お支払い",
        "name_en": "Returns and payments",
        "description_ja": "返品・交換、返金、お支払い方法について",
        "description_en": "Returns, exchanges, refunds and ways to pay.",
        "sections": [
            {
                "slug": "returns",
                "position": 1,
                "name_ja": "返品・交換",
                "name_en": "Returns and exchanges",
            },
            {"slug": "payments", "position": 2, "name_ja": "お支払い", "name_en": "Payments"},
        ],
    },
    {
        "slug": "account",
        "position": 3,
        "name_ja": "アカウント",
        "name_en": "Your account",
        "description_ja": "ログイン、パスワード、会員情報の変更について",
        "description_en": "Signing in, passwords and your details.",
        "sections": [
            {
                "slug": "sign-in",
                "position": 1,
                "name_ja": "ログイン・パスワード",
                "name_en": "Signing in",
            },
            {
                "slug": "account-settings",
                "position": 2,
                "name_ja": "会員情報",
                "name_en": "Account settings",
            },
        ],
    },
]

# Each article: section slug, position, labels, internal flag, and {language: (slug, title,
# summary, body)}. A language left out is an article not translated yet.
ARTICLES = [
    {
        "section": "orders",
        "position": 1,
        "ja": (
            "order-change-cancel",
            "ご注文内容の変更・キャンセル",
            "発送準備に入る前であれば、マイページからご注文の変更・キャンセルができます。",
            """ご注文の変更・キャンセルは、**発送準備に入る前**であればマイページから行えます。

1. マイページにログインし、「注文履歴」を開きます。
2. 該当するご注文の「変更・キャンセル」を押します。
3. 内容を確認して確定します。

「発送準備中」と表示されている場合は、お手数ですがお問い合わせフォームからご連絡ください。
発送後のキャンセルはできませんので、商品到着後に返品の手続きをお願いします。""",
        ),
        "en": (
            "changing-or-cancelling-an-order",
            "Changing or cancelling an order",
            "Until we start packing, you can change or cancel an order from your account.",
            """You can change or cancel an order from your account **until we start packing it**.

1. Sign in and open **Order history**.
2. Choose **Change or cancel** next to the order.
3. Check the details and confirm.

If the order says *Preparing to ship*, please contact us through the contact form. Orders that
have already shipped cannot be cancelled: return the item once it arrives instead.""",
        ),
    },
    {
        "section": "orders",
        "position": 2,
        "ja": (
            "order-confirmation-email",
            "注文確認メールが届かない",
            "迷惑メールフォルダやドメイン指定受信の設定をご確認ください。",
            """ご注文後、通常は数分以内に「ご注文確認メール」をお送りしています。メールが届かない場合は、次の点をご確認ください。

- 迷惑メールフォルダに振り分けられていないか
- `@madoguchi.example` からのメールを受信できる設定になっているか
- ご登録のメールアドレスに誤りがないか（マイページで確認できます）

マイページの「注文履歴」にご注文が表示されていれば、ご注文は正常に完了しています。""",
        ),
        "en": (
            "order-confirmation-email",
            "I did not get an order confirmation email",
            "Check your spam folder and the address on your account.",
            """We send an order confirmation email within a few minutes of your order. If it has not
arrived:

- look in your spam or junk folder;
- make sure mail from `@madoguchi.example` is allowed;
- check the email address on your account.

If the order appears under **Order history** in your account, it went through.""",
        ),
    },
    {
        "section": "shipping",
        "position": 1,
        "labels": ["faq"],
        "ja": (
            "item-not-arrived",
            "商品が届かない場合",
            "発送完了メールの追跡番号で配送状況を確認できます。1週間以上届かない場合はご連絡ください。",
            """商品がまだ届かない場合は、次の順にご確認ください。

1. **発送完了メール**に記載の追跡番号で、配送業者のサイトから配送状況を確認します。
2. 「配達済み」なのに見当たらない場合は、宅配ボックスや管理人室、ご家族の受け取りをご確認ください。
3. 不在票が入っている場合は、記載の連絡先へ再配達をご依頼ください。

発送から**1週間以上**経っても届かない場合や、追跡番号で確認できない場合は、ご注文番号を添えてお問い合わせください。""",
        ),
        "en": (
            "my-order-has-not-arrived",
            "My order has not arrived",
            "Track it with the number in your shipping email; contact us if it takes more than a week.",
            """If your parcel has not arrived yet:

1. Use the tracking number in your **shipping confirmation email** on the carrier's site.
2. If it says *delivered* but you cannot find it, check parcel lockers, the building
   office, or whether someone else signed for it.
3. If you got a missed-delivery notice, ask the carrier to deliver again.

If it has been **more than a week** since we shipped, or the tracking number shows nothing,
contact us with your order number and we will trace it.""",
        ),
    },
    {
        "section": "shipping",
        "position": 2,
        "ja": (
            "shipping-fees-delivery-time",
            "送料とお届けまでの日数",
            "5,000円以上のご注文で送料無料。通常2〜4日でお届けします。",
            """| 地域 | 送料 | お届け日数 |
| --- | --- | --- |
| 本州・四国・九州 | 550円 | 2〜3日 |
| 北海道・沖縄・離島 | 1,100円 | 3〜5日 |

税込**5,000円以上**のご注文は送料無料です。お届け日時はご注文時に指定できます。
年末年始や大型連休中は、通常よりお時間をいただく場合があります。""",
        ),
        "en": (
            "shipping-fees-and-delivery-times",
            "Shipping fees and delivery times",
            "Free shipping from ¥5,000; most orders arrive in 2–4 days.",
            """| Region | Fee | Delivery |
| --- | --- | --- |
| Honshu, Shikoku, Kyushu | ¥550 | 2–3 days |
| Hokkaido, Okinawa, islands | ¥1,100 | 3–5 days |

Orders of **¥5,000 or more** (tax included) ship free. You can choose a delivery date and time
when you order. Around New Year and long holidays, delivery can take longer.""",
        ),
    },
    {
        "section": "shipping",
        "position": 3,
        "en": (
            "international-shipping",
            "Do you ship outside Japan?",
            "We ship to most countries by EMS; duties are paid by the recipient.",
            """Yes: we ship to most countries by **EMS**, usually within 5–10 days of dispatch.

- Shipping is calculated at checkout from the parcel's weight.
- Import duties and taxes are charged by your country and paid by the recipient.
- Some items (batteries, liquids) cannot be sent abroad; the product page says so.""",
        ),
    },
    {
        "section": "returns",
        "position": 1,
        "labels": ["faq"],
        "ja": (
            "returns-exchanges",
            "返品・交換について",
            "商品到着後8日以内であれば、未使用品の返品・交換を承ります。",
            """商品到着後**8日以内**で未使用のものに限り、返品・交換を承ります。

1. マイページの「注文履歴」から「返品・交換の申請」を選びます。
2. 理由を選んで申請すると、返送用の伝票番号をメールでお送りします。
3. 商品を元の箱に入れて、コンビニまたは集荷でご返送ください。

お客様のご都合による返品の送料はお客様のご負担となります。返金は、商品の到着確認後7日以内にお支払い方法に応じて行います。
セール品・下着・開封済みの食品は返品できません。""",
        ),
        "en": (
            "refunds-and-returns",
            "Refunds and returns",
            "Return unused items within 8 days of delivery for a refund or an exchange.",
            """You can return **unused items within 8 days** of delivery for a refund or an exchange.

1. Open **Order history** in your account and choose **Request a return**.
2. Pick a reason; we email you a prepaid return label.
3. Pack the item in its original box and drop it off or book a pickup.

If you changed your mind, the return shipping is yours to pay. We refund to your original
payment method within 7 days of receiving the item. Sale items, underwear and opened food
cannot be returned.""",
        ),
    },
    {
        "section": "returns",
        "position": 2,
        "ja": (
            "damaged-or-wrong-item",
            "破損品・不良品・違う商品が届いた場合",
            "送料当社負担で交換または返金いたします。写真を添えてご連絡ください。",
            """破損・不良、またはご注文と違う商品が届いた場合は、大変申し訳ございません。**送料は当社負担**で交換または返金いたします。

お問い合わせフォームから、ご注文番号と商品・外箱の写真を添えてご連絡ください。
到着から30日以内にご連絡いただいたものが対象です。""",
        ),
        "en": (
            "damaged-faulty-or-wrong-item",
            "A damaged, faulty or wrong item arrived",
            "We replace or refund it and pay the shipping. Send us a photo.",
            """We are sorry! If an item arrived damaged, faulty, or is not what you ordered, we replace
or refund it **at our cost**.

Contact us through the form with your order number and a photo of the item and its box,
within 30 days of delivery.""",
        ),
    },
    {
        "section": "payments",
        "position": 1,
        "ja": (
            "payment-methods",
            "ご利用いただけるお支払い方法",
            "クレジットカード、コンビニ払い、銀行振込、代金引換をご利用いただけます。",
            """次のお支払い方法をご利用いただけます。

- クレジットカード（Visa / Mastercard / JCB / American Express）
- コンビニ払い（前払い）
- 銀行振込（前払い）
- 代金引換（手数料330円）

分割払い・リボ払いは、カード会社にお申し込みください。""",
        ),
        "en": (
            "payment-methods",
            "Ways to pay",
            "Credit card, convenience store, bank transfer or cash on delivery.",
            """You can pay by:

- credit card (Visa, Mastercard, JCB, American Express);
- convenience store payment (in advance);
- bank transfer (in advance);
- cash on delivery (¥330 fee).

For instalments, ask your card company.""",
        ),
    },
    {
        "section": "payments",
        "position": 2,
        "ja": (
            "konbini-payment-deadline",
            "コンビニ払いの支払期限",
            "ご注文から3日以内にお支払いください。期限を過ぎると自動でキャンセルされます。",
            """コンビニ払いの場合、ご注文日を含めて**3日以内**にお支払いください。
お支払い番号はご注文確認メールに記載しています。

期限を過ぎたご注文は自動的にキャンセルされます。あらためてご注文ください。""",
        ),
    },
    {
        "section": "payments",
        "position": 3,
        "ja": (
            "receipt-invoice",
            "領収書・請求書の発行",
            "マイページの注文履歴から領収書（PDF）をダウンロードできます。",
            """領収書は、発送完了後にマイページの「注文履歴」からPDFでダウンロードできます。
宛名と但し書きはダウンロード時に入力できます。適格請求書（インボイス）にも対応しています。""",
        ),
        "en": (
            "receipt-or-invoice",
            "Getting a receipt or invoice",
            "Download a PDF receipt from Order history once the order has shipped.",
            """Once your order has shipped, download a PDF receipt from **Order history** in your
account. You can enter the name to address it to. Receipts are qualified invoices under
Japan's invoice system.""",
        ),
    },
    {
        "section": "sign-in",
        "position": 1,
        "ja": (
            "reset-password",
            "パスワードを忘れた・再設定したい",
            "ログイン画面の「パスワードをお忘れの方」から再設定用のメールを受け取れます。",
            """1. ログイン画面で「パスワードをお忘れの方」を押します。
2. ご登録のメールアドレスを入力します。
3. 届いたメールのリンクから、新しいパスワードを設定します。

リンクの有効期限は24時間です。メールが届かない場合は迷惑メールフォルダもご確認ください。""",
        ),
        "en": (
            "resetting-your-password",
            "Resetting your password",
            "Use “Forgot your password?” on the sign-in page to get a reset link by email.",
            """1. On the sign-in page, choose **Forgot your password?**
2. Enter the email address of your account.
3. Follow the link in the email we send you and choose a new password.

The link works for 24 hours. If the email does not arrive, check your spam folder.""",
        ),
    },
    {
        "section": "account-settings",
        "position": 1,
        "ja": (
            "change-email-address",
            "メールアドレス・お届け先住所の変更",
            "マイページの「会員情報」からいつでも変更できます。",
            """マイページの「会員情報」から、メールアドレスとお届け先住所をいつでも変更できます。
メールアドレスを変更すると、新しいアドレスに確認メールをお送りします。

発送準備に入ったご注文のお届け先は変更できません。お問い合わせください。""",
        ),
        "en": (
            "changing-your-email-or-address",
            "Changing your email or delivery address",
            "Update them any time under Account details.",
            """Change your email address or delivery address any time under **Account details**.
When you change your email, we send a confirmation to the new address.

For an order that is already being packed, contact us to change where it goes.""",
        ),
    },
    {
        "section": "account-settings",
        "position": 2,
        "ja": (
            "close-account",
            "退会（アカウントの削除）",
            "マイページの「退会手続き」から退会できます。ポイントは失効します。",
            """マイページ下部の「退会手続き」から退会できます。
退会すると、保有ポイントと注文履歴は閲覧できなくなります。未発送のご注文がある場合は退会できません。""",
        ),
    },
    {
        "section": "returns",
        "position": 9,
        "internal": True,
        "ja": (
            "internal-refund-procedure",
            "【社内】返金処理の手順",
            "返金承認から決済代行への返金依頼までの社内手順。",
            """1. 返品商品の到着と状態を倉庫チームに確認する。
2. 管理画面で返金額を確定し、リーダーの承認を得る。
3. 決済代行の管理画面から返金を実行し、チケットに返金IDを記録する。""",
        ),
        "en": (
            "internal-refund-procedure",
            "Internal: processing a refund",
            "From approving a refund to sending it to the payment provider.",
            """1. Confirm with the warehouse team that the item is back and in what condition.
2. Set the refund amount in the back office and get a lead's approval.
3. Issue the refund in the payment provider's dashboard and note its id on the ticket.""",
        ),
    },
]
