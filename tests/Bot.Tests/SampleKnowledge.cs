using CustomerService.Bot.Knowledge;

namespace CustomerService.Bot.Tests;

/// <summary>Two shops the tests talk to: one in English (Los Angeles), one in Chinese (Shanghai).</summary>
internal static class SampleKnowledge
{
    public static IReadOnlyList<FaqEntry> EnglishFaq { get; } =
    [
        Faq("shipping-time", "How long does shipping take?", "Orders ship within 24 hours and arrive in 3-5 business days.",
            "When will my order arrive?", "How many days until delivery?"),
        Faq("shipping-cost", "How much does shipping cost?", "Shipping is free on orders over $50; otherwise it is $5.",
            "Is delivery free?", "What are the shipping fees?"),
        Faq("returns", "How do I return an item?", "Start a return from My Orders within 30 days; the label is free.",
            "Can I send a product back?", "What is your return policy?"),
        Faq("refund-time", "When will I get my refund?", "Refunds reach your card 5-7 business days after the return arrives.",
            "How long do refunds take?"),
        Faq("change-address", "How can I change my delivery address?", "Edit the address in My Orders until the order ships.",
            "I entered the wrong shipping address."),
        Faq("cancel-order", "How do I cancel my order?", "Orders can be cancelled in My Orders until they ship.",
            "Can I cancel an order I just placed?"),
        Faq("payment", "Which payment methods do you accept?", "We accept Visa, Mastercard, PayPal and Apple Pay.",
            "Can I pay with PayPal or a credit card?"),
        Faq("tracking", "How can I track my package?", "The tracking number is in your shipping confirmation email.",
            "Where is my order?", "Do you have a tracking number for my parcel?"),
        Faq("warranty", "Do your products come with a warranty?", "Every product has a two-year warranty against defects.",
            "What does the guarantee cover?"),
        Faq("password", "How do I reset my password?", "Use 'Forgot password' on the sign-in page to get a reset link.",
            "I forgot my password and can't log in."),
    ];

    public static IReadOnlyList<FaqEntry> ChineseFaq { get; } =
    [
        Faq("dispatch", "下单后多久发货？", "订单付款后24小时内发货。", "什么时候发货", "几天能发货"),
        Faq("shipping-fee", "运费怎么算？", "满99元包邮，不满99元收取10元运费。", "包邮吗", "邮费多少钱"),
        Faq("returns", "怎么申请退货？", "在“我的订单”中申请退货，七天内无理由退货。", "可以退货吗", "七天无理由退货怎么操作"),
        Faq("refund-time", "退款多久到账？", "退款在我们收到退货后3-5个工作日内原路退回。", "退款什么时候到"),
        Faq("change-address", "下单后可以修改收货地址吗？", "发货前可以在订单详情中修改收货地址。", "地址填错了怎么办"),
        Faq("invoice", "可以开发票吗？", "可以，在订单详情中申请电子发票。", "怎么开具增值税发票"),
        Faq("tracking", "怎么查询物流信息？", "在订单详情中可以查看物流单号和配送进度。", "我的快递到哪了", "查一下快递单号"),
        Faq("points", "积分怎么使用？", "100积分可抵扣1元，结算时勾选使用积分即可。", "积分可以抵现吗"),
    ];

    public static FaqEntry Faq(string id, string question, string answer, params string[] alternates) =>
        new() { Id = id, Question = question, Answer = answer, Alternates = alternates };

    public static BotAnswer Answer(string text, params (string Title, string Payload)[] buttons) =>
        new() { Text = text, QuickReplies = buttons.Select(b => new QuickReplyButton { Title = b.Title, Payload = b.Payload }).ToArray() };

    public static BotRule Rule(string id, int priority, RuleKind kind, string answer, params string[] patterns) =>
        new() { Id = id, Priority = priority, Kind = kind, Patterns = patterns, Answer = Answer(answer) };

    /// <summary>An English shop open 09:00-17:00 Monday to Friday in Los Angeles.</summary>
    public static TenantKnowledge English { get; } = new()
    {
        Settings = new BotSettings
        {
            DisplayName = "Acme Assistant",
            Welcome = Answer("Hi! I'm the Acme assistant. What can I do for you?", ("Track my order", "canned:tracking"), ("Talk to a person", "agent")),
            OffHours = Answer("We're closed right now (Mon-Fri 9:00-17:00 Pacific). Leave a message and we'll get back to you."),
            HandoffNotice = Answer("Connecting you with a member of our team."),
            Fallback = Answer("Sorry, I didn't get that. Could you rephrase?"),
            BusinessHours = new BusinessHours
            {
                TimeZone = "America/Los_Angeles",
                Weekly = [new OpeningHours { Days = [DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday], Open = new TimeOnly(9, 0), Close = new TimeOnly(17, 0) }],
            },
            ConfidenceThreshold = 0.4,
            MaxUnansweredTurns = 3,
            HandoffSkillGroup = "support",
            CannedAnswers = new Dictionary<string, BotAnswer>
            {
                ["tracking"] = Answer("Your tracking link is in the shipping confirmation email."),
                ["hours"] = Answer("We're open Monday to Friday, 9:00 to 17:00 Pacific time."),
            },
        },
        Rules =
        [
            Rule("black-friday", 1, RuleKind.Regex, "Black Friday deals run until Monday midnight.", @"black\s*friday"),
            Rule("coupon", 5, RuleKind.Keyword, "Enter coupon codes at checkout under 'Promo code'.", "coupon", "promo code"),
            Rule("order-number", 8, RuleKind.Regex, "Thanks! I've noted your order number; tracking details are in My Orders.", @"\bA\d{6}\b"),
            Rule("opening-hours", 10, RuleKind.Phrase, "We're open Monday to Friday, 9:00 to 17:00 Pacific time.", "What are your opening hours", "opening hours"),
            Rule("discount", 20, RuleKind.Keyword, "Sign up for the newsletter to get 10% off your first order.", "discount", "coupon"),
            new BotRule { Id = "hours-canned", Priority = 30, Kind = RuleKind.Keyword, Patterns = ["when are you open"], CannedAnswer = "hours" },
        ],
        Faq = EnglishFaq,
    };

    /// <summary>A Chinese shop open 09:00-21:00 every day in Shanghai, closed on National Day.</summary>
    public static TenantKnowledge Chinese { get; } = new()
    {
        Settings = new BotSettings
        {
            DisplayName = "小智",
            Welcome = Answer("您好，我是小智，请问有什么可以帮您？", ("查物流", "canned:tracking"), ("转人工", "转人工")),
            OffHours = Answer("您好，现在是非工作时间（每天9:00-21:00），请留言，我们上班后尽快回复。"),
            HandoffNotice = Answer("正在为您转接人工客服，请稍候。"),
            Fallback = Answer("抱歉，我没有理解您的意思，能换个说法吗？"),
            BusinessHours = new BusinessHours
            {
                TimeZone = "Asia/Shanghai",
                Weekly = [new OpeningHours { Days = Enum.GetValues<DayOfWeek>(), Open = new TimeOnly(9, 0), Close = new TimeOnly(21, 0) }],
                Closed = [new DateOnly(2026, 10, 1)],
            },
            ConfidenceThreshold = 0.4,
            MaxUnansweredTurns = 2,
            CannedAnswers = new Dictionary<string, BotAnswer> { ["tracking"] = Answer("物流信息请在“我的订单-订单详情”中查看。") },
        },
        Rules =
        [
            Rule("double-11", 1, RuleKind.Keyword, "双十一活动期间全场满300减50。", "双十一", "双11"),
            Rule("invoice-title", 5, RuleKind.Regex, "发票抬头可以在订单详情中修改。", "发票.{0,4}抬头"),
            Rule("hello", 10, RuleKind.Phrase, "您好！请问有什么可以帮您？", "你好", "您好", "在吗"),
            Rule("coupon", 20, RuleKind.Keyword, "优惠券在“我的-优惠券”中领取，结算时自动抵扣。", "优惠券", "红包"),
            Rule("promotion", 30, RuleKind.Keyword, "最新活动请关注首页横幅。", "活动", "优惠"),
        ],
        Faq = ChineseFaq,
    };
}
