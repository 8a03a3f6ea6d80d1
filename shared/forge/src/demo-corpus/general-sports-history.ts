import { GeneralTopic, topic } from './general-topic';

export const SPORTS: GeneralTopic = topic(
  'sports',
  ['sport', 'team', 'event', 'role'],
  {
    sport: 'football|basketball|tennis|cricket|volleyball|baseball|rugby|table tennis|ice hockey|badminton',
    team: 'the home side|the visiting team|the league leaders|the defending champions|the youth squad|the national team',
    role: 'goalkeeper|point guard|striker|pitcher|fly-half|setter|midfielder|captain',
    skill: 'footwork|passing accuracy|serve placement|shooting form|court awareness|first touch|timing|defensive positioning',
    drill: 'short passing circles|ladder footwork drills|serve practice against a wall|shooting from five spots|small-sided games|reaction drills with a partner',
    equipment: 'a good pair of court shoes|a lighter racket|a properly inflated ball|shin guards|a batting helmet|a practice net',
    event: 'the cup final|the season opener|the world championship|the derby match|the playoff series|the Olympic tournament',
    score: '2 to 1|3 to 0|98 to 91|two sets to one|a single run|4 to 3 after extra time',
  },
  [
    {
      questions: ['How can I get better at {sport}?', 'What drills improve {skill} in {sport}?', 'How do I train to become a better {role}?'],
      openings: ['To improve at {sport}, focus on {skill} first.', 'Good {sport} players build {skill} with {drill}.', 'Every {role} benefits from work on {skill}.'],
      body: ['Try {drill} three times a week.', 'Record your practice to check your {skill}.', '{equipment} makes practice easier.', 'Play small games to build {skill} under pressure.', 'Watch how experienced players handle {skill}.', 'Short, focused sessions beat long, tired ones.', 'Ask a coach to review your {skill}.'],
    },
    {
      questions: ['What happened in {event}?', 'Who won {event}?', 'How did {team} play in {event}?'],
      openings: ['{team} won {event} {score}.', 'In {event}, {team} came back to win {score}.', '{event} ended {score} after a tense finish.'],
      body: ['The {role} was named player of the match.', '{team} controlled the early part of the game.', 'A late change in tactics made the difference.', 'The crowd stayed loud until the final whistle.', 'Both sides showed excellent {skill}.', 'The coach praised the {role} after the game.', 'It was their first title in many seasons.'],
    },
    {
      questions: ['What are the basic rules of {sport}?', 'How is {sport} scored?', 'What does a {role} do?'],
      openings: ['In {sport}, two sides compete to outscore each other within set periods.', 'A {role} organizes play and relies on {skill}.', 'The rules of {sport} are simple to learn but hard to master.'],
      body: ['Officials enforce the rules and can stop play.', 'Each side has a captain who speaks with the referee.', 'Players need {equipment}.', 'Matches are decided by points, goals or runs depending on the sport.', 'Beginners should learn {skill} before advanced tactics.'],
    },
  ],
  ['Enjoy the game.', 'Good luck at your next match.', 'Have fun on the field.'],
);

export const HISTORY: GeneralTopic = topic(
  'history',
  ['empire', 'century', 'invention', 'place'],
  {
    empire: 'the Roman Empire|the Ottoman Empire|the Mongol Empire|the Inca Empire|the Byzantine Empire|the Mali Empire|the Han dynasty|the Venetian Republic',
    century: 'the third century|the ninth century|the twelfth century|the fifteenth century|the sixteenth century|the eighteenth century',
    ruler: 'the emperor|the sultan|the queen|the regent|the young king|the council of elders|the doge',
    place: 'the capital|a busy port city|the river valley|the mountain passes|the coastal towns|the frontier provinces',
    invention: 'the printing press|paper money|the astrolabe|the compass|aqueducts|the mechanical clock|road networks|canal locks',
    trade: 'silk|salt|gold|spices|wool|timber|tea|copper',
    monument: 'a great library|a stone bridge|a royal palace|a city wall|a grand mosque|a cathedral|a lighthouse|an amphitheater',
  },
  [
    {
      questions: ['What was life like in {empire}?', 'How did people live in {place} during {century}?', 'What did ordinary people do in {empire}?'],
      openings: ['Life in {empire} centered on {place} and the trade in {trade}.', 'During {century}, most people in {place} were farmers or craftsmen.', 'Ordinary people in {empire} depended on markets for {trade} and {trade}.'],
      body: ['Merchants moved {trade} along long routes.', '{ruler} collected taxes to pay for {monument}.', 'Festivals and markets brought people together.', 'Many families lived in small houses near {monument}.', 'Writing and record keeping spread slowly.', 'Travel was slow, but {invention} made it easier.'],
    },
    {
      questions: ['Why did {empire} decline?', 'What caused the fall of {empire}?', 'How did {empire} lose power?'],
      openings: ['{empire} declined for several reasons, including costly wars and weak leadership.', 'Historians link the fall of {empire} to trouble in {place}.', 'By {century}, {empire} faced pressure on many sides.'],
      body: ['Trade in {trade} shifted to new routes.', '{ruler} struggled to control {place}.', 'Rival powers grew stronger.', 'High taxes made people unhappy.', 'Some historians argue that the decline was slow rather than sudden.', 'Its legacy lives on in {monument} and in {invention}.'],
    },
    {
      questions: ['Why was {invention} important?', 'How did {invention} change the world?', 'Who used {invention} first?'],
      openings: ['{invention} changed how people worked and traded.', 'The spread of {invention} in {century} had large effects.', 'Before {invention}, trade in {trade} was much slower.'],
      body: ['Merchants in {place} adopted it quickly.', 'It helped {empire} manage a large territory.', 'Knowledge spread faster as a result.', 'Later builders used it to create {monument}.', 'Its influence can still be seen today.'],
    },
  ],
  ['History is full of surprises.', 'Museums and libraries have more to explore.', 'There is much more to read about this period.'],
);
