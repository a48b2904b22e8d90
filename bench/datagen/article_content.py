"""What the bench help center is about: products, topic templates (ja/en) and section ranges.

Data only, kept apart from the generator (bench/datagen/articles.py) that fills templates with
products and numbers and loads the rows.
"""

from __future__ import annotations

PRODUCTS = [
    ("ワイヤレスイヤホン", "wireless earbuds"),
    ("電気ケトル", "electric kettle"),
    ("ランニングシューズ", "running shoes"),
    ("ノートパソコン", "laptop"),
    ("コーヒーメーカー", "coffee maker"),
    ("スマートウォッチ", "smartwatch"),
    ("加湿器", "humidifier"),
    ("リュックサック", "backpack"),
    ("炊飯器", "rice cooker"),
    ("モバイルバッテリー", "power bank"),
    ("電動歯ブラシ", "electric toothbrush"),
    ("ヨガマット", "yoga mat"),
    ("掃除機", "vacuum cleaner"),
    ("デジタルカメラ", "digital camera"),
    ("ギフトカード", "gift card"),
    ("定期便", "subscription box"),
    ("腕時計", "wristwatch"),
    ("空気清浄機", "air purifier"),
    ("タブレット", "tablet"),
    ("スーツケース", "suitcase"),
    ("ドライヤー", "hair dryer"),
    ("キーボード", "keyboard"),
    ("プリンター", "printer"),
    ("マットレス", "mattress"),
    ("ベビーカー", "stroller"),
    ("自転車", "bicycle"),
    ("ゲーム機", "game console"),
    ("電子書籍リーダー", "e-reader"),
    ("水筒", "water bottle"),
    ("テント", "tent"),
]

# (category slug, ja, en) → sections (slug, ja, en) → topics. A topic: title templates,
# a summary, and paragraphs in both languages; {p} is the product, {n} a number.
TOPICS: dict[tuple[str, str, str], list[dict]] = {
    ("orders", "ご注文", "Orders"): [
        {
            "ja_titles": [
                "{p}の注文をキャンセルするには",
                "{p}のご注文の取り消し方法",
                "{p}を注文後にキャンセルしたい",
            ],
            "en_titles": [
                "How to cancel an order for a {p}",
                "Cancelling your {p} order",
                "Can I cancel my {p} order?",
            ],
            "ja_summary": "発送前の{p}のご注文はマイページから取り消せます。",
            "en_summary": "You can cancel a {p} order from your account until it ships.",
            "ja": [
                "{p}のご注文は、発送準備に入る前であればマイページの注文履歴からキャンセルできます。",
                "発送準備が始まった{p}のご注文はキャンセルできません。お届け後に返品の手続きをしてください。",
                "キャンセルが完了すると、{n}営業日以内にご登録のメールアドレスへ確認メールが届きます。",
                "クレジットカードでお支払いの場合、返金の反映まで{n}日ほどかかることがあります。",
            ],
            "en": [
                "You can cancel a {p} order from the order history in your account until we "
                "start preparing it for shipping.",
                "Once a {p} order is being prepared, it can no longer be cancelled; please "
                "return it after delivery instead.",
                "When the cancellation is complete you receive a confirmation email within "
                "{n} business days.",
                "If you paid by credit card, the refund can take about {n} days to appear on "
                "your statement.",
            ],
        },
        {
            "ja_titles": [
                "{p}の注文内容を変更する",
                "{p}の数量や色を変更したい",
                "注文後に{p}のお届け先を変更する",
            ],
            "en_titles": [
                "Changing your {p} order",
                "Change the colour or quantity of a {p}",
                "Update the delivery address of a {p} order",
            ],
            "ja_summary": "{p}の数量・色・お届け先は発送前なら変更できます。",
            "en_summary": "Quantity, colour and address of a {p} order can change before shipping.",
            "ja": [
                "{p}のご注文内容は、発送前であれば注文履歴の「変更」ボタンから変更できます。",
                "お届け先の変更は、配送業者に引き渡した後は承れません。",
                "色やサイズの変更で差額が生じた場合は、{n}日以内にご請求または返金いたします。",
            ],
            "en": [
                "You can change a {p} order from the Change button in your order history "
                "until it ships.",
                "The delivery address cannot be changed once the parcel is with the carrier.",
                "If a change of colour or size changes the price, we charge or refund the "
                "difference within {n} days.",
            ],
        },
    ],
    ("shipping", "配送", "Shipping"): [
        {
            "ja_titles": [
                "{p}の配送状況を確認する",
                "{p}はいつ届きますか",
                "{p}の配送日数について",
            ],
            "en_titles": [
                "Tracking your {p} delivery",
                "When will my {p} arrive?",
                "Delivery times for a {p}",
            ],
            "ja_summary": "{p}は通常{n}日以内に発送し、追跡番号をメールでお知らせします。",
            "en_summary": "A {p} usually ships within {n} days; we email you the tracking number.",
            "ja": [
                "{p}は通常ご注文から{n}営業日以内に発送いたします。",
                "発送が完了すると、追跡番号を記載した発送完了メールをお送りします。",
                "離島や一部地域へのお届けは、さらに{n}日ほどかかる場合があります。",
                "配送状況は配送業者のウェブサイトで追跡番号を入力して確認できます。",
            ],
            "en": [
                "A {p} usually ships within {n} business days of your order.",
                "When it ships, we send you an email with the tracking number.",
                "Deliveries to remote islands and some regions can take {n} more days.",
                "You can follow the delivery on the carrier's website with the tracking number.",
            ],
        },
        {
            "ja_titles": ["{p}の送料について", "{p}の配送料金と無料配送の条件"],
            "en_titles": ["Shipping costs for a {p}", "Free shipping on a {p}"],
            "ja_summary": "{n}000円以上のご注文で{p}の送料は無料です。",
            "en_summary": "Orders over {n}0 dollars ship a {p} for free.",
            "ja": [
                "{p}の送料は全国一律です。{n}000円以上のご注文で送料無料になります。",
                "お急ぎ便をご利用の場合は、別途料金がかかります。",
                "定期便でお届けする{p}の送料は、いつでも無料です。",
            ],
            "en": [
                "Shipping a {p} costs the same everywhere in the country; orders over {n}0 "
                "dollars ship free.",
                "Express delivery costs extra.",
                "A {p} delivered by subscription always ships free.",
            ],
        },
    ],
    ("returns", "返品・交換", "Returns and refunds"): [
        {
            "ja_titles": [
                "{p}の返品・交換について",
                "{p}を返品したい場合",
                "{p}の返品方法と返金の時期",
            ],
            "en_titles": [
                "Returning a {p}",
                "Refunds and returns for a {p}",
                "How do I return my {p}?",
            ],
            "ja_summary": "{p}はお届けから{n}0日以内なら返品・交換できます。",
            "en_summary": "You can return or exchange a {p} within {n}0 days of delivery.",
            "ja": [
                "{p}は、お届けから{n}0日以内であれば未使用品に限り返品・交換を承ります。",
                "マイページの注文履歴から返品を申し込むと、返送用のラベルが発行されます。",
                "返品された{p}の到着を確認してから{n}営業日以内に返金いたします。",
                "初期不良の場合は送料当社負担で交換いたします。お手数ですが写真を添えてご連絡ください。",
            ],
            "en": [
                "You can return or exchange an unused {p} within {n}0 days of delivery.",
                "Request the return from your order history and we email you a return label.",
                "We refund you within {n} business days after the returned {p} arrives.",
                "If your {p} arrived faulty, we exchange it at our cost; please send us a photo.",
            ],
        },
    ],
    ("payments", "お支払い", "Payments"): [
        {
            "ja_titles": [
                "{p}のお支払い方法",
                "{p}を分割払いで購入する",
                "利用できる支払い方法（{p}）",
            ],
            "en_titles": [
                "Paying for a {p}",
                "Buying a {p} in instalments",
                "Payment methods for a {p}",
            ],
            "ja_summary": "クレジットカード、コンビニ払い、銀行振込で{p}をお支払いいただけます。",
            "en_summary": "Pay for a {p} by card, bank transfer or at a convenience store.",
            "ja": [
                "{p}のお支払いには、クレジットカード、コンビニ払い、銀行振込、代金引換をご利用いただけます。",
                "クレジットカードでは最大{n}回までの分割払いが可能です。",
                "コンビニ払いの期限はご注文から{n}日間です。期限を過ぎるとご注文は自動的にキャンセルされます。",
                "領収書はマイページの注文詳細からPDFでダウンロードできます。",
            ],
            "en": [
                "You can pay for a {p} by credit card, bank transfer, convenience store "
                "payment or cash on delivery.",
                "Credit cards allow up to {n} instalments.",
                "Convenience store payments are due within {n} days; unpaid orders are "
                "cancelled automatically.",
                "Download the receipt and invoice as a PDF from the order details in your account.",
            ],
        },
    ],
    ("account", "アカウント", "Your account"): [
        {
            "ja_titles": [
                "パスワードを忘れた場合",
                "ログインできないとき（{p}アプリ）",
                "パスワードの再設定方法",
            ],
            "en_titles": [
                "Forgot your password",
                "Cannot sign in to the {p} app",
                "Resetting your password",
            ],
            "ja_summary": "ログイン画面の「パスワードを忘れた方」から再設定できます。",
            "en_summary": "Reset your password from the sign-in page's Forgot password link.",
            "ja": [
                "ログイン画面の「パスワードを忘れた方」を押し、ご登録のメールアドレスを入力してください。",
                "再設定用のメールが{n}分以内に届かない場合は、迷惑メールフォルダをご確認ください。",
                "{p}アプリからも同じ手順でパスワードを再設定できます。",
            ],
            "en": [
                "Choose Forgot password on the sign-in page and enter your email address.",
                "If the reset email does not arrive within {n} minutes, check your spam folder.",
                "The {p} app resets your password the same way.",
            ],
        },
        {
            "ja_titles": ["メールアドレスを変更する", "会員情報の変更（{p}）", "退会の手続き"],
            "en_titles": [
                "Changing your email address",
                "Updating your details ({p})",
                "Closing your account",
            ],
            "ja_summary": "会員情報はマイページの「アカウント設定」から変更できます。",
            "en_summary": "Change your details under Account settings.",
            "ja": [
                "メールアドレスや住所は、マイページの「アカウント設定」からいつでも変更できます。",
                "退会すると、ポイントと注文履歴は{n}日後に削除され、元に戻せません。",
                "{p}の保証登録は退会後も有効です。",
            ],
            "en": [
                "Change your email address or postal address under Account settings at any time.",
                "Closing your account deletes your points and order history after {n} days; "
                "this cannot be undone.",
                "The warranty registration of your {p} stays valid after you leave.",
            ],
        },
    ],
    ("products", "製品サポート", "Product support"): [
        {
            "ja_titles": ["{p}の電源が入らない", "{p}が故障したときは", "{p}の保証と修理について"],
            "en_titles": [
                "My {p} does not turn on",
                "What to do if your {p} is broken",
                "Warranty and repairs for a {p}",
            ],
            "ja_summary": "{p}の保証期間はお買い上げから{n}年間です。",
            "en_summary": "Your {p} is under warranty for {n} years from purchase.",
            "ja": [
                "{p}の電源が入らない場合は、まず{n}時間以上充電してから電源ボタンを長押ししてください。",
                "それでも改善しない場合は、保証書と購入日のわかるものをご用意のうえお問い合わせください。",
                "保証期間内の自然故障は無償で修理いたします。修理には{n}週間ほどかかります。",
            ],
            "en": [
                "If your {p} does not turn on, charge it for at least {n} hours and hold the "
                "power button.",
                "If that does not help, contact us with the warranty card and proof of purchase.",
                "Faults under warranty are repaired free of charge; a repair takes about {n} "
                "weeks.",
            ],
        },
        {
            "ja_titles": ["{p}の初期設定", "{p}の使い方ガイド", "{p}をスマートフォンと接続する"],
            "en_titles": [
                "Setting up your {p}",
                "Getting started with a {p}",
                "Pairing your {p} with a phone",
            ],
            "ja_summary": "{p}の初期設定は{n}分ほどで完了します。",
            "en_summary": "Setting up a {p} takes about {n} minutes.",
            "ja": [
                "{p}を箱から取り出し、付属のケーブルで充電してください。",
                "スマートフォンのBluetoothをオンにして、設定画面から{p}を選びます。",
                "接続できない場合は、{p}をリセットしてからもう一度お試しください。",
            ],
            "en": [
                "Take the {p} out of the box and charge it with the supplied cable.",
                "Turn on Bluetooth on your phone and choose the {p} in its settings.",
                "If it does not connect, reset the {p} and try again.",
            ],
        },
    ],
}
# Sections per topic: the same topic over several product ranges, as real centers grow.
SECTION_RANGES = [
    ("home", "ホーム", "Home"),
    ("outdoor", "アウトドア", "Outdoor"),
    ("digital", "デジタル", "Digital"),
    ("kitchen", "キッチン", "Kitchen"),
]
# A few sections are not public, so the visibility filter is exercised at scale.
RESTRICTED = {("account", "digital"): "signed_in", ("products", "kitchen"): "agents"}
