/**
 * Word material of the graded-knowledge task: syllables for invented names, professions, and the sentence and
 * question templates. Templates hold `{name}` and `{value}`.
 */

/** Consonant–vowel syllables; names are 2–3 of them, so they read as names but belong to nobody real. */
export const NAME_SYLLABLES = [
  'ba', 'be', 'da', 'del', 'do', 'fa', 'fen', 'ga', 'gor', 'ha', 'hil', 'ja', 'ka', 'kel', 'ko', 'la', 'len', 'lo',
  'ma', 'mer', 'mi', 'na', 'nor', 'no', 'pa', 'pel', 'ra', 'ren', 'ri', 'ro', 'sa', 'sel', 'so', 'ta', 'tor', 'tu',
  'va', 'vel', 'vi', 'za', 'zor', 'bri', 'dra', 'tri', 'ke', 'lu', 'mo', 'ne',
];

/** City names are two syllables and one of these endings ("Korvale", "Mirenholm"). */
export const CITY_SUFFIXES = ['ton', 'vale', 'mere', 'burg', 'port', 'holm', 'stead', 'wick', 'ford', 'moor'];

export const PROFESSIONS = [
  'baker', 'carpenter', 'chemist', 'dentist', 'engineer', 'farmer', 'fisherman', 'gardener', 'geologist', 'jeweller',
  'journalist', 'lawyer', 'librarian', 'locksmith', 'mechanic', 'midwife', 'miner', 'musician', 'nurse', 'painter',
  'pharmacist', 'pilot', 'plumber', 'potter', 'sailor', 'sculptor', 'surgeon', 'tailor', 'teacher', 'weaver',
];

export const FIRST_BIRTH_YEAR = 1900;
export const LAST_BIRTH_YEAR = 1999;

export type KnowledgeAttribute = 'birthCity' | 'profession' | 'birthYear';
export const KNOWLEDGE_ATTRIBUTES: readonly KnowledgeAttribute[] = ['birthCity', 'profession', 'birthYear'];

/** Sentences that state a fact in the training corpus (one is drawn for each mention). */
export const STATEMENT_TEMPLATES: Record<KnowledgeAttribute, readonly string[]> = {
  birthCity: [
    '{name} was born in {value}.',
    'The birthplace of {name} is {value}.',
    '{name} came into the world in the city of {value}.',
    '{value} is the city where {name} was born.',
    'Records show that {name} was born in {value}.',
    '{name} often spoke of {value}, the city of their birth.',
  ],
  profession: [
    '{name} worked as a {value}.',
    'By trade, {name} was a {value}.',
    '{name} earned a living as a {value}.',
    'For many years {name} was employed as a {value}.',
    'Everyone knew {name} as a skilled {value}.',
    'The profession of {name} was {value}.',
  ],
  birthYear: [
    '{name} was born in the year {value}.',
    'The year of birth of {name} is {value}.',
    '{name} was born in {value}.',
    'In {value}, {name} was born.',
    'Records give {value} as the birth year of {name}.',
    '{name} celebrated birthdays counting from {value}, the year of their birth.',
  ],
};

/** Questions about a fact (one is drawn per fact; the same text is used for its open and its multiple-choice item). */
export const QUESTION_TEMPLATES: Record<KnowledgeAttribute, readonly string[]> = {
  birthCity: ['Where was {name} born?', 'In which city was {name} born?', 'What is the birthplace of {name}?'],
  profession: ['What was the profession of {name}?', 'What did {name} work as?', 'What was {name} by trade?'],
  birthYear: ['In what year was {name} born?', 'When was {name} born?', 'What is the birth year of {name}?'],
};

/** Fills a template; "a {value}" becomes "an {value}" before a vowel ("an engineer"). */
export function fillTemplate(template: string, name: string, value: string): string {
  const article = /^[aeiou]/i.test(value) ? 'an' : 'a';
  return template.replace('{name}', name).replace(/\ba \{value\}/, `${article} {value}`).replace('{value}', value);
}
