/**
 * Question and answer templates for consumer-health answers (syntax: see grammar.ts). Slots come from a
 * Condition: {name} {system} {specialist} and one element each of {symptom} {cause} {risk} {test} {care}
 * {prevention} {warning}; {drug} and {dose} come from one of its "drug: dose" entries.
 */
export interface IntentTemplates {
  questions: string[];
  /** The answer's first sentence. */
  openings: string[];
  /** Body sentences; an answer uses a few of them, without repeats. */
  body: string[];
}

export const HEALTH_INTENTS: Record<string, IntentTemplates> = {
  overview: {
    questions: ['What is {name}?', 'Can you explain what {name} is?', '[What should I know|What do I need to know] about {name}?', 'How common is {name}?'],
    openings: ['{name} is a [common|well-known|treatable] condition that affects {system}.', '{name} is a health problem [of|involving] {system}, and many people live well with it.', 'In {name}, {system} [does not work as it should|is affected], which leads to symptoms such as {symptom}.'],
    body: ['It often starts with {symptom} and {symptom}.', 'Common causes include {cause} and {cause}.', 'Your risk is higher with {risk}.', 'A doctor can confirm it with {test}.', 'Treatment usually includes {care}, and some people also need {drug}.', 'Many people [manage it|feel better] with {care} and {care}.', '{a_specialist} can help if symptoms [are severe|keep coming back].', '[You can lower your risk by|Prevention includes] {prevention}.'],
  },
  symptoms: {
    questions: ['What are the symptoms of {name}?', 'How do I know if I have {name}?', 'What are [the early|common] signs of {name}?', 'What does {name} feel like?', 'Could {symptom} be a sign of {name}?'],
    openings: ['The most common symptoms of {name} are {symptom}, {symptom} and {symptom}.', '{name} [often|usually] causes {symptom} and {symptom}.', 'People with {name} may notice {symptom}, {symptom} or {symptom}.'],
    body: ['Some people also have {symptom}.', 'Symptoms can [come and go|get worse over time|be mild at first].', '{symptom} is [often|sometimes] the first sign.', 'Not everyone has the same symptoms, and some people have {symptom} only.', 'Because {symptom} can have other causes, [a doctor may order|it is worth asking about] {test}.', 'Symptoms are often triggered by {cause}.', 'Seek care right away if you have {warning}.', 'Keeping a diary of your symptoms can help your {specialist}.'],
  },
  causes: {
    questions: ['What causes {name}?', 'Why do people get {name}?', 'Who is at risk for {name}?', 'What are the risk factors for {name}?', 'Is {name} caused by {cause}?'],
    openings: ['{name} is [usually|often] caused by {cause}.', 'Several things can lead to {name}, including {cause} and {cause}.', 'Doctors link {name} to {cause}, although the exact cause can vary.'],
    body: ['Other causes include {cause}.', 'Your risk goes up with {risk} and {risk}.', '{risk} also [raises|increases] the risk.', 'It is more common in people with {risk}.', 'Having a risk factor does not mean you will get {name}.', 'Some risk factors, such as {risk}, cannot be changed, but others can.', '[You can lower your risk by|Helpful steps include] {prevention}.', 'If you have {risk}, ask your doctor about {test}.'],
  },
  diagnosis: {
    questions: ['How is {name} diagnosed?', 'What tests are used for {name}?', 'Do I need a test for {name}?', 'How does a doctor check for {name}?'],
    openings: ['Doctors diagnose {name} with {test} and a review of your symptoms.', 'The main test for {name} is {test}.', 'To check for {name}, your doctor will ask about {symptom} and may order {test}.'],
    body: ['Other tests may include {test}.', '{test} can also rule out other conditions.', 'Your doctor will ask about {risk} and your family history.', '{a_specialist} may do [more tests|further testing] if the diagnosis is unclear.', 'Tell your doctor [how long|how often] you have had {symptom}.', 'The results help decide whether you need {care} or medicine such as {drug}.', 'Tests are often repeated to see how well treatment is working.'],
  },
  treatment: {
    questions: ['How is {name} treated?', 'What is the best treatment for {name}?', 'What can I do at home for {name}?', 'How can I [manage|treat] {name}?', 'Is there a cure for {name}?'],
    openings: ['Treatment for {name} usually starts with {care} and {care}.', '{name} is [often|usually] treated with {care}, and some people also need {drug}.', 'The goal of treatment for {name} is to ease {symptom} and prevent problems.'],
    body: ['At home, {care} can help.', 'Your doctor may recommend {drug}.', 'Medicines such as {drug} can ease {symptom}.', '{care} and {care} also help many people.', '{a_specialist} can adjust treatment if symptoms continue.', 'It may take a few [days|weeks] before you feel better.', 'Call your doctor if you have {warning}.', 'Long-term, {prevention} helps keep symptoms away.'],
  },
  dosage: {
    questions: ['What is the usual dose of {drug} for {name}?', 'How much {drug} should I take for {name}?', 'How often can I take {drug}?', 'What medicine helps {name}, and how much should I take?'],
    openings: ['For adults with {name}, the usual dose of {drug} is {dose}.', 'A common adult dose of {drug} is {dose}.', '{drug} is often used for {name}; the usual adult dose is {dose}.'],
    body: ['Always follow the label or your doctor\'s instructions.', 'Do not take more than the label allows in 24 hours.', 'Children need a different dose, so ask a pharmacist.', 'Tell your doctor about other medicines you take, because some interact with {drug}.', 'If you have kidney or liver problems, your dose may need to be lower.', 'Take it [with food|with a full glass of water] if it upsets your stomach.', 'Medicine works best alongside {care}.', 'Stop and call your doctor if you notice side effects such as a rash or stomach pain.'],
  },
  prevention: {
    questions: ['How can I prevent {name}?', 'Can {name} be prevented?', 'What lowers the risk of {name}?', 'How do I avoid getting {name} again?'],
    openings: ['You can lower your risk of {name} by {prevention}.', 'Not every case can be prevented, but {prevention} helps.', 'The best ways to prevent {name} are {prevention} and {prevention}.'],
    body: ['{prevention} is also [helpful|important].', 'Avoiding {cause} can reduce [flare-ups|attacks|episodes].', 'If you have {risk}, regular checkups are important.', 'Ask your doctor whether {test} makes sense for you.', 'Healthy habits such as {care} also help.', 'People who already had {name} should watch for {symptom} so it can be treated early.'],
  },
  urgent: {
    questions: ['When should I see a doctor for {name}?', 'Is {name} an emergency?', 'When is {symptom} serious?', 'What are the warning signs of [complications of|serious] {name}?'],
    openings: ['See a doctor [soon|promptly] if {symptom} lasts more than a few days or keeps coming back.', 'Most cases of {name} are not emergencies, but {warning} needs urgent care.', 'Get medical help right away if you have {warning} or {warning}.'],
    body: ['Call emergency services for {warning}.', 'Make an appointment if home care such as {care} does not help.', '{a_specialist} can check for complications.', 'People with {risk} should see a doctor sooner.', 'Do not wait if symptoms get worse quickly.', 'Bring a list of your medicines, including {drug}, to the visit.'],
  },
  outlook: {
    questions: ['What is the outlook for {name}?', 'Can you live a normal life with {name}?', 'Does {name} go away?', 'Will {name} get worse over time?'],
    openings: ['Most people with {name} do well with treatment.', 'The outlook for {name} depends on the cause and how early it is treated.', '{name} can often be controlled, and many people lead active lives.'],
    body: ['With {care}, symptoms such as {symptom} usually improve.', 'Some people need long-term treatment with {drug}.', 'Regular visits with {a_specialist} help catch problems early.', 'Without treatment, {symptom} may get worse.', 'Healthy habits like {prevention} improve the long-term outlook.', 'Follow-up tests such as {test} show how well treatment is working.'],
  },
};

/** Closing sentences any answer may end with. */
export const HEALTH_CLOSINGS: string[] = [
  'Talk to your doctor about what is right for you.',
  'Your doctor or pharmacist can answer questions about your own situation.',
  'This information does not replace advice from a health professional.',
  'If you are unsure, ask a nurse, doctor or pharmacist.',
  '{a_specialist} can give advice that fits your health history.',
];
