using CustomerService.Bot.Knowledge;

namespace CustomerService.Bot.Bench;

/// <summary>A shop with a handful of rules and an FAQ of realistic size: ten hand-written entries plus product how-tos.</summary>
internal static class BenchKnowledge
{
    public const string Tenant = "bench";

    public static readonly string[] RuleMessages =
    [
        "Do you have a coupon code?", "any black friday deals?", "What are your opening hours", "my order A123456 is late",
        "双十一有什么优惠", "发票抬头怎么改",
    ];

    public static readonly string[] FaqMessages =
    [
        "how many days does delivery take", "is shipping free?", "how do i return my shoes", "where's my parcel",
        "forgot my password", "can I cancel my order please", "I typed the wrong address", "is there a guarantee on the blender",
        "how do I set up the smart speaker wifi", "the robot vacuum battery does not charge",
    ];

    public static TenantKnowledge Create(int faqEntries)
    {
        string[] products = ["smart speaker", "robot vacuum", "air purifier", "coffee machine", "electric kettle", "rice cooker", "blender", "desk lamp", "smart watch", "headphones"];
        string[] topics = ["wifi", "battery", "firmware update", "cleaning", "warranty registration", "noise", "app pairing", "reset", "error light", "spare parts", "manual", "power supply", "filter", "timer", "display", "accessories", "colour options", "voltage", "child lock", "installation"];
        var faq = new List<FaqEntry>
        {
            Faq("shipping-time", "How long does shipping take?", "3-5 business days.", "When will my order arrive?", "How many days until delivery?"),
            Faq("shipping-cost", "How much does shipping cost?", "Free over $50.", "Is delivery free?", "What are the shipping fees?"),
            Faq("returns", "How do I return an item?", "From My Orders within 30 days.", "Can I send a product back?", "What is your return policy?"),
            Faq("refund-time", "When will I get my refund?", "5-7 business days.", "How long do refunds take?"),
            Faq("change-address", "How can I change my delivery address?", "In My Orders until it ships.", "I entered the wrong shipping address."),
            Faq("cancel-order", "How do I cancel my order?", "In My Orders until it ships.", "Can I cancel an order I just placed?"),
            Faq("payment", "Which payment methods do you accept?", "Cards, PayPal, Apple Pay.", "Can I pay with PayPal or a credit card?"),
            Faq("tracking", "How can I track my package?", "See the shipping email.", "Where is my order?", "Do you have a tracking number for my parcel?"),
            Faq("warranty", "Do your products come with a warranty?", "Two years.", "What does the guarantee cover?"),
            Faq("password", "How do I reset my password?", "Use 'Forgot password'.", "I forgot my password and can't log in."),
        };
        for (var i = 0; faq.Count < faqEntries; i++)
        {
            var product = products[i % products.Length];
            var topic = topics[i / products.Length % topics.Length];
            faq.Add(Faq($"{product}-{topic}-{i}", $"How does the {topic} of the {product} work?", $"See the {product} manual, section {topic}.",
                $"I have a question about the {product} {topic}", $"{product} {topic} problem"));
        }

        return new TenantKnowledge
        {
            Settings = new BotSettings { DisplayName = "Bench Bot", MaxUnansweredTurns = 0 },
            Rules =
            [
                Rule("black-friday", 1, RuleKind.Regex, @"black\s*friday"),
                Rule("coupon", 5, RuleKind.Keyword, "coupon", "promo code"),
                Rule("order-number", 8, RuleKind.Regex, @"\bA\d{6}\b"),
                Rule("opening-hours", 10, RuleKind.Phrase, "What are your opening hours", "opening hours"),
                Rule("double-11", 12, RuleKind.Keyword, "双十一", "双11"),
                Rule("invoice-title", 14, RuleKind.Regex, "发票.{0,4}抬头"),
            ],
            Faq = faq,
        };
    }

    private static FaqEntry Faq(string id, string question, string answer, params string[] alternates) =>
        new() { Id = id, Question = question, Answer = answer, Alternates = alternates };

    private static BotRule Rule(string id, int priority, RuleKind kind, params string[] patterns) =>
        new() { Id = id, Priority = priority, Kind = kind, Patterns = patterns, Answer = new BotAnswer { Text = $"Answer of {id}." } };
}
