// The configuration sections the Admin API serves (docs/configuration.md), as the admin pages present them.

export interface SectionInfo { name: string; title: string; what: string }

export const sections: SectionInfo[] = [
  { name: 'routing_rules', title: 'Routing rules', what: 'Which skill group takes a conversation, by entry page, language, customer tier or keywords; overflow between groups.' },
  { name: 'bot_rules', title: 'Bot rules', what: 'What the bot answers by itself, with quick-reply buttons, and when it hands over to a person.' },
  { name: 'faq', title: 'FAQ', what: 'Questions and answers the bot retrieves from.' },
  { name: 'sensitive_words', title: 'Sensitive words', what: 'Word lists and what a hit does: flag (risk control is told), mask (replaced by *) or block (not delivered).' },
  { name: 'canned_replies', title: 'Canned replies', what: 'Replies agents insert by typing / and a shortcut in the console.' },
  { name: 'feature_flags', title: 'Feature flags', what: 'Switches with gradual rollout by visitor or tenant.' },
  { name: 'tenant_settings', title: 'Tenant settings', what: 'Business hours, bot-first, and the tenant\'s other settings.' },
];
