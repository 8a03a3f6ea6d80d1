import { GeneralTopic, topic } from './general-topic';

export const COOKING: GeneralTopic = topic(
  'cooking',
  ['dish', 'swap'],
  {
    dish: 'a vegetable risotto|a tomato sauce|roast chicken|a lentil soup|banana bread|a stir-fry|fresh pasta|a fruit pie|pancakes|a bean chili|sourdough bread|a potato gratin|fried rice|a lemon tart|grilled salmon|a mushroom omelette',
    ingredient: 'butter|olive oil|garlic|onions|fresh basil|brown sugar|flour|parmesan|soy sauce|lemon zest|smoked paprika|cumin|heavy cream|thyme|honey|white wine|ginger|black pepper',
    pan: 'a heavy skillet|a Dutch oven|a wok|a wide saucepan|a cast iron pan|a deep frying pan',
    tool: 'a wooden spoon|a sharp chef\'s knife|a stand mixer|a rolling pin|a fine grater|a kitchen scale',
    technique: 'browning the onions slowly|toasting the spices first|resting the dough|stirring in the stock a little at a time|searing over high heat|folding the batter gently|deglazing the pan|roasting the vegetables until crisp',
    swap: 'butter|olive oil|heavy cream|brown sugar|soy sauce|white wine|honey|fresh basil|parmesan|lemon zest',
    minutes: '10|15|20|25|30|40|45|60',
    temp: '180 degrees Celsius|200 degrees Celsius|220 degrees Celsius|350 degrees Fahrenheit|400 degrees Fahrenheit|425 degrees Fahrenheit',
    flavor: 'nutty|bright|smoky|rich|savory|tangy|sweet|creamy',
    side: 'a green salad|crusty bread|steamed rice|roasted carrots|a cucumber salad|garlic bread',
  },
  [
    {
      questions: ['How do I make {dish}?', 'What is a simple way to cook {dish}?', 'Can you give me a recipe for {dish}?', 'What is the secret to [great|perfect] {dish}?'],
      openings: ['To make {dish}, start by heating a little [olive oil|butter] in {pan}.', 'Good {dish} begins with {technique}.', 'The key to {dish} is {technique}, which gives it a {flavor} taste.'],
      body: ['Add {ingredient} and {ingredient} and cook for about {minutes} minutes.', 'Season with {ingredient} and a pinch of salt.', 'Bake at {temp} for {minutes} minutes.', '{technique} makes a big difference.', 'Finish with {ingredient} for a {flavor} note.', 'Serve it with {side}.', 'Use {pan} so the heat stays even.', 'Keep {tool} close at hand.', 'Taste as you go and adjust the {ingredient}.'],
    },
    {
      questions: ['What can I use instead of {swap}?', 'Can I replace {swap} in {dish}?', 'Is there a substitute for {swap}?'],
      openings: ['You can often swap {swap} for {ingredient} in {dish}.', 'If you run out of {swap}, try {ingredient} instead.', 'A good substitute for {swap} is {ingredient}, though the result will be a little more {flavor}.'],
      body: ['Use a little less, because the flavor is stronger.', 'The texture of {dish} may change slightly.', 'In baking, swaps are harder, so measure carefully.', 'A splash of {ingredient} can balance the taste.', 'Many cooks prefer {technique} when they make this change.'],
    },
    {
      questions: ['How long does {dish} keep?', 'How should I store leftovers of {dish}?', 'Can I freeze {dish}?'],
      openings: ['Leftover {dish} keeps for three to four days in the fridge.', 'Store {dish} in an airtight container once it has cooled.', 'Most people freeze {dish} in small portions.'],
      body: ['Reheat it gently in {pan}.', 'Let it cool before covering it.', 'Label the container with the date.', 'A little {ingredient} brings back the {flavor} flavor after reheating.', 'It tastes best served with {side}.'],
    },
  ],
  ['Enjoy your meal.', 'Happy cooking.', 'Practice makes the dish better every time.', 'Feel free to adjust the seasoning to your taste.'],
);

export const TRAVEL: GeneralTopic = topic(
  'travel',
  ['city'],
  {
    city: 'Lisbon|Kyoto|Vienna|Buenos Aires|Edinburgh|Istanbul|Seville|Hanoi|Montreal|Prague|Cape Town|Copenhagen|Oaxaca|Melbourne|Porto|Krakow',
    landmark: 'the old cathedral|the harbor front|the central market|the castle on the hill|the botanical garden|the national museum|the riverside promenade|the old town square|the main train station|the city walls',
    season: 'spring|early summer|autumn|the shoulder season|late September|winter',
    transport: 'the metro|a tram|a rented bicycle|the regional train|a night bus|a ferry|walking',
    food: 'street food|seafood|pastries|local coffee|grilled meat|noodle soup|tapas|fresh bread',
    activity: 'a walking tour|a day trip to the coast|a cooking class|a boat ride|a visit to a vineyard|hiking in the hills|browsing the flea market|watching the sunset from a viewpoint',
    days: 'two|three|four|five|seven',
    item: 'comfortable walking shoes|a light rain jacket|a travel adapter|a reusable water bottle|a small daypack|a phrasebook|sunglasses|a warm sweater',
  },
  [
    {
      questions: ['What should I do in {city}?', 'How should I spend {days} days in {city}?', 'What are the best things to see in {city}?', 'Is {city} worth visiting?'],
      openings: ['With {days} days in {city}, start at {landmark}.', '{city} rewards slow travel, so begin with {activity}.', 'Most visitors to {city} head straight for {landmark}.'],
      body: ['Spend an afternoon near {landmark}.', 'Book {activity} in advance.', 'Try the {food} near {landmark}.', 'In the evening, {activity} is a good choice.', 'Getting around is easy by {transport}.', 'The neighborhoods around {landmark} are great for {food}.', 'Leave a day free for {activity}.'],
    },
    {
      questions: ['When is the best time to visit {city}?', 'Is {season} a good time to go to {city}?', 'What is the weather like in {city}?'],
      openings: ['The best time to visit {city} is {season}, when the weather is mild.', '{season} is popular in {city}, so hotels fill up quickly.', 'Many travelers prefer {season} for {city} because the crowds are smaller.'],
      body: ['Prices are lower outside the peak months.', 'Pack {item} for sudden changes in the weather.', 'Festivals near {landmark} draw large crowds.', 'Days are long, which leaves time for {activity}.', 'Book train tickets early if you plan {activity}.'],
    },
    {
      questions: ['How do I get around {city}?', 'What should I pack for {city}?', 'Is {transport} the best way to get around {city}?'],
      openings: ['The easiest way to get around {city} is {transport}.', 'Pack {item} and {item} for {city}.', 'In {city}, {transport} reaches most sights, including {landmark}.'],
      body: ['Buy a day pass to save money.', 'Bring {item}, because you will walk a lot.', 'Taxis are expensive at night, so consider {transport}.', 'Many sights are close to {landmark}.', 'Keep a copy of your passport in a separate bag.'],
    },
  ],
  ['Have a wonderful trip.', 'Safe travels.', 'Check opening hours before you go.', 'Enjoy exploring the city.'],
);
