import { GeneralTopic, topic } from './general-topic';

export const TECHNOLOGY: GeneralTopic = topic(
  'technology',
  ['device', 'problem', 'concept'],
  {
    device: 'a laptop|a wireless router|a smartphone|a smart speaker|a desktop computer|a tablet|a printer|an external hard drive',
    software: 'the web browser|the operating system|a password manager|the email app|a photo editor|a spreadsheet program|a video call app',
    language: 'Python|JavaScript|Rust|Go|Java|TypeScript|C|Kotlin',
    concept: 'a database index|a cache|an API|encryption|version control|a compiler|cloud storage|a virtual machine',
    problem: 'a slow connection|an app that keeps crashing|a full disk|a battery that drains quickly|a forgotten password|a frozen screen',
    fix: 'restarting the device|updating the firmware|clearing the cache|removing unused apps|checking the cables|resetting the network settings',
    setting: 'the power settings|the privacy settings|automatic updates|two-factor authentication|the backup schedule|dark mode',
  },
  [
    {
      questions: ['How do I fix {problem} on {device}?', 'Why does my {device} have {problem}?', 'What should I do about {problem}?'],
      openings: ['{problem} on {device} is usually solved by {fix}.', 'Start with {fix}, which solves {problem} in most cases.', 'When {device} has {problem}, try {fix} first.'],
      body: ['If that does not work, try {fix}.', 'Check {setting} as well.', 'Make sure {software} is up to date.', 'Back up your files before larger changes.', 'Turning on {setting} can prevent this in future.', 'The manufacturer\'s support page lists more steps.'],
    },
    {
      questions: ['What is {concept}?', 'How does {concept} work?', 'Why do programmers use {concept}?'],
      openings: ['{concept} is a tool that makes software faster or safer.', 'In simple terms, {concept} helps programs store and find data.', 'Programmers use {concept} to keep systems reliable.'],
      body: ['It is common in projects written in {language}.', 'Most modern systems rely on {concept}.', 'It trades a little memory for speed.', 'Learning it takes practice with small examples.', 'Good documentation makes it easier to understand.', 'It works alongside {concept} in larger systems.'],
    },
    {
      questions: ['Should I learn {language} or {language}?', 'Is {language} good for beginners?', 'What is {language} used for?'],
      openings: ['{language} is a good choice for beginners who want quick results.', 'Both languages are useful, but {language} has a larger community.', '{language} is popular for web services and tools.'],
      body: ['Start with small projects such as a to-do app.', 'Read other people\'s code to learn good habits.', 'Learn version control early.', 'Online courses and forums make learning easier.', 'Many teams combine {language} with {language}.', 'Write tests as you go.'],
    },
  ],
  ['Good luck with your project.', 'Keep your software updated.', 'Happy coding.'],
);
