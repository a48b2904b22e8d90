"""The words of the generated data set: support conversations as they read in a Japanese shop
and an English one. Few templates, combined and numbered, so the tokenizer runs once per
template (not once per row) while the rows still differ from each other."""

from __future__ import annotations

FAMILY_JA = [
    "佐藤",
    "鈴木",
    "高橋",
    "田中",
    "伊藤",
    "渡辺",
    "山本",
    "中村",
    "小林",
    "加藤",
    "吉田",
    "山田",
    "佐々木",
    "山口",
    "松本",
    "井上",
    "木村",
    "林",
    "斎藤",
    "清水",
]
GIVEN_JA = [
    "花子",
    "太郎",
    "陽菜",
    "蓮",
    "結衣",
    "大翔",
    "美咲",
    "翔太",
    "さくら",
    "健一",
    "由美",
    "直樹",
    "愛",
    "拓也",
    "真由美",
    "誠",
    "恵",
    "隆",
    "彩",
    "亮",
]
KANA_FAMILY = [
    "さとう",
    "すずき",
    "たかはし",
    "たなか",
    "いとう",
    "わたなべ",
    "やまもと",
    "なかむら",
    "こばやし",
    "かとう",
    "よしだ",
    "やまだ",
    "ささき",
    "やまぐち",
    "まつもと",
    "いのうえ",
    "きむら",
    "はやし",
    "さいとう",
    "しみず",
]
FAMILY_EN = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Miller",
    "Davis",
    "Wilson",
    "Taylor",
    "Clark",
    "Lewis",
    "Walker",
    "Hall",
    "Young",
    "King",
    "Wright",
]
GIVEN_EN = [
    "Emma",
    "Liam",
    "Olivia",
    "Noah",
    "Ava",
    "James",
    "Sophia",
    "Lucas",
    "Mia",
    "Henry",
    "Grace",
    "Jack",
    "Chloe",
    "Leo",
    "Ruby",
    "Sam",
]

TAGS = [
    "返品",
    "交換",
    "配送",
    "請求",
    "ログイン",
    "不良品",
    "キャンセル",
    "ギフト",
    "定期便",
    "クーポン",
    "refund",
    "shipping",
    "billing",
    "login",
    "damaged",
    "cancel",
    "gift",
    "subscription",
    "coupon",
    "vip",
    "urgent",
    "feedback",
    "bug",
    "how-to",
    "account",
    "wholesale",
    "press",
    "partnership",
    "warranty",
    "size",
]

# (subject, first customer message, agent answers, customer follow-ups)
TOPICS_JA = [
    (
        "返品・交換について",
        "サイズが合わなかったので返品したいです。交換もできますか。"
        "注文してから一週間ほど経っていますが、まだ未使用です。",
        [
            "お問い合わせありがとうございます。未使用であれば到着後30日以内の返品・交換を承っております。"
            "返送用の伝票をメールでお送りしますので、ご確認ください。",
            "交換品の在庫を確認いたしました。本日中に発送の手配をいたします。",
        ],
        ["伝票を受け取りました。明日集荷をお願いします。", "ありがとうございます。助かりました。"],
    ),
    (
        "注文した商品が届きません",
        "先週注文した商品がまだ届いていません。配送状況を教えてください。"
        "追跡番号を見ても更新がありません。",
        [
            "ご不便をおかけして申し訳ございません。配送業者に確認したところ、地域の集配センターで"
            "保管されておりました。明日の午前中にお届け予定です。",
            "再配達の手配が完了しました。お届け日時の指定も可能です。",
        ],
        ["まだ届いていません。もう一度確認してもらえますか。", "無事に届きました。"],
    ),
    (
        "請求書の再発行",
        "先月分の請求書を再発行していただけますか。宛名を会社名に変更したいです。",
        [
            "承知いたしました。宛名を変更した請求書をPDFでお送りします。",
            "経理部宛ての請求書を再発行し、マイページからもダウンロードできるようにいたしました。",
        ],
        ["確認しました。ありがとうございます。"],
    ),
    (
        "ログインできません",
        "パスワードを二回リセットしましたが、ログイン画面でエラーになります。"
        "スマートフォンのアプリからも入れません。",
        [
            "ご迷惑をおかけしております。アカウントがロックされていたため解除いたしました。"
            "もう一度お試しください。",
            "二段階認証の設定が残っていたようです。設定をリセットしました。",
        ],
        ["ログインできました。", "まだエラーが出ます。画面のスクリーンショットを送ります。"],
    ),
    (
        "商品が破損していました",
        "届いたマグカップが割れていました。交換か返金をお願いします。",
        [
            "大変申し訳ございません。新しい商品を本日発送いたします。破損品は破棄していただいて"
            "構いません。",
            "返金の手続きを行いました。カード会社により反映まで数日かかる場合があります。",
        ],
        ["代わりの商品が届きました。丁寧な対応ありがとうございます。"],
    ),
    (
        "定期便の解約",
        "定期便を次回から停止したいです。手続きの方法を教えてください。",
        [
            "マイページの「定期便の管理」から停止できます。こちらで停止の手続きも可能ですので、"
            "ご希望であればお知らせください。",
            "次回分から定期便を停止いたしました。",
        ],
        ["停止をお願いします。"],
    ),
    (
        "クーポンが使えない",
        "メールで届いたクーポンコードを入力しても使えません。有効期限内のはずです。",
        [
            "確認したところ、対象外の商品がカートに含まれておりました。対象商品のみでお試しください。",
            "クーポンを再発行いたしました。新しいコードをお送りします。",
        ],
        ["使えました。ありがとうございます。"],
    ),
    (
        "ギフト包装について",
        "プレゼント用にギフト包装とメッセージカードをお願いできますか。",
        ["ギフト包装を承りました。メッセージカードの文面をお知らせください。"],
        ["「お誕生日おめでとう」でお願いします。"],
    ),
]

TOPICS_EN = [
    (
        "Refund for a damaged item",
        "The mug arrived cracked. Could I get a refund or a replacement? "
        "I have photos of the box and the item.",
        [
            "I am sorry the mug arrived damaged. I have issued a full refund to your card; it should "
            "appear within five business days.",
            "A replacement is on its way today, and you do not need to send the broken one back.",
        ],
        ["Thanks, the refund arrived.", "The replacement came today, all good."],
    ),
    (
        "Parcel has not arrived",
        "The parcel has not arrived yet. Could you check the shipping "
        "status? The tracking page has not changed for four days.",
        [
            "The carrier confirmed the parcel is held at the local depot; it will be delivered "
            "tomorrow morning.",
            "I have booked a redelivery. You can choose a delivery slot with the link in the email.",
        ],
        ["Still nothing today, can you check again?", "It arrived, thank you."],
    ),
    (
        "Cannot log in",
        "I reset my password twice but the login page still says it is wrong. "
        "The mobile app does not work either.",
        [
            "Your account was locked after several attempts; I have unlocked it. Please try again.",
            "Two-factor authentication was still enabled on an old phone. I have reset it.",
        ],
        ["That worked, thanks!", "Still failing, here is a screenshot."],
    ),
    (
        "Invoice for last month",
        "Could you send the invoice for last month again with our company name on it?",
        ["Here is the corrected invoice as a PDF; it is also available in your account."],
        ["Received, thank you."],
    ),
    (
        "Cancel my subscription",
        "Please cancel my subscription from the next delivery on.",
        [
            "Your subscription is cancelled from the next delivery. You will not be charged again.",
            "You can also pause it instead of cancelling, if you prefer.",
        ],
        ["Cancel please.", "Thanks for the quick help."],
    ),
    (
        "Wrong size delivered",
        "I ordered a medium but received a large. How do I exchange it?",
        [
            "I have sent you a prepaid return label. The medium ships as soon as the carrier scans the "
            "return."
        ],
        ["Label printed, dropping it off today."],
    ),
    (
        "Coupon code does not work",
        "The coupon from your newsletter is rejected at checkout.",
        [
            "The code excludes sale items; your cart had one. It works on the other items.",
            "I have issued a new code that also covers sale items.",
        ],
        ["It worked this time."],
    ),
    (
        "Gift wrapping",
        "Can you gift wrap my order and add a card that says Happy Birthday?",
        ["Of course, the order will be gift wrapped with your card."],
        ["Wonderful, thanks."],
    ),
]

SIGNATURE_JA = "\n\n--\nサポートセンター {agent}"
SIGNATURE_EN = "\n\n--\n{agent}, Customer Support"
