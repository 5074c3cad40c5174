"""Word lists for the demo data generator (names, places, stores, groceries).

Everything here is fictional. E-mail domains use the reserved ``example``
names and phone numbers the 555 exchange, so no generated contact detail can
reach a real person.
"""

from __future__ import annotations

FIRST_NAMES: tuple[str, ...] = (
    # a deliberately mixed list: many origins, many spellings
    "Aaliyah", "Abdul", "Ada", "Adebayo", "Adriana", "Ahmed", "Aiko", "Aisha", "Akira", "Alejandro",
    "Alexei", "Amara", "Amir", "Ana", "Anders", "Andre", "Anjali", "Ansel", "Arjun", "Astrid",
    "Ayesha", "Bao", "Beatriz", "Benjamin", "Bianca", "Bilal", "Brianna", "Bruno", "Camila", "Carlos",
    "Carmen", "Chen", "Chidi", "Chloe", "Chinedu", "Dalia", "Daniel", "Darius", "Deepa", "Delphine",
    "Diego", "Dmitri", "Ebony", "Elena", "Elif", "Emeka", "Emily", "Esperanza", "Ethan", "Fatima",
    "Felix", "Fernanda", "Fiona", "Francesca", "Gabriel", "Giulia", "Grace", "Hamza", "Hana", "Hannah",
    "Hiroshi", "Ibrahim", "Imani", "Ines", "Isabella", "Ivan", "Jamal", "Jasmine", "Javier", "Jia",
    "Joao", "Jonah", "Jorge", "Joseph", "Juan", "Julia", "Kai", "Kalani", "Kamala", "Karim",
    "Kateryna", "Keanu", "Kenji", "Kofi", "Lakshmi", "Lars", "Layla", "Leilani", "Leon", "Li",
    "Liam", "Lucia", "Luis", "Mahmoud", "Malik", "Marcus", "Maria", "Mariam", "Marisol", "Mateo",
    "Mei", "Miguel", "Mina", "Mohammed", "Nadia", "Naledi", "Nasrin", "Nia", "Nikolai", "Noah",
    "Nour", "Olga", "Oluwaseun", "Omar", "Oscar", "Pablo", "Paolo", "Patrick", "Priya", "Quentin",
    "Rafael", "Rahul", "Rania", "Ravi", "Rebecca", "Reza", "Rosa", "Ruth", "Saanvi", "Samuel",
    "Santiago", "Sara", "Sean", "Shira", "Siddharth", "Sofia", "Soo-ah", "Stefan", "Sunita", "Tariq",
    "Tatiana", "Thabo", "Thanh", "Tomas", "Tyrone", "Valentina", "Vikram", "Wei", "Xavier", "Yara",
    "Yasmin", "Yusuf", "Zainab", "Zara", "Zhang", "Zoe", "Owen", "Megan", "Kevin", "Laura",
    "DeShawn", "Keisha", "Connor", "Siobhan", "Mason", "Olivia", "Tyler", "Madison", "Brandon", "Ashley",
)

LAST_NAMES: tuple[str, ...] = (
    "Abara", "Abubakar", "Acosta", "Adeyemi", "Agarwal", "Ahmadi", "Alvarez", "Andersen", "Anderson", "Asante",
    "Baker", "Banerjee", "Barros", "Bauer", "Begum", "Bello", "Bennett", "Bianchi", "Bondarenko", "Brooks",
    "Brown", "Castillo", "Chakraborty", "Chang", "Chaudhry", "Chen", "Cohen", "Costa", "Cruz", "Dang",
    "Davies", "Delgado", "Demir", "Diallo", "Dimitrov", "Dubois", "Duong", "Edwards", "Eze", "Fernandes",
    "Ferrari", "Fischer", "Flores", "Fofanah", "Garcia", "Ghosh", "Goldberg", "Gomez", "Gonzalez", "Gupta",
    "Haddad", "Hansen", "Harris", "Hassan", "Hernandez", "Hoang", "Hosseini", "Huang", "Ibrahim", "Ivanova",
    "Jackson", "Jensen", "Johnson", "Joshi", "Kaur", "Khan", "Kim", "Kobayashi", "Kovacs", "Kowalski",
    "Kumar", "Larsen", "Le", "Lee", "Lopez", "Mahlangu", "Martin", "Martinez", "Mbeki", "Mehta",
    "Mendoza", "Meyer", "Moreau", "Morales", "Mukherjee", "Murphy", "Nakamura", "Nascimento", "Ndlovu", "Nguyen",
    "Novak", "Nwosu", "O'Brien", "Okafor", "Okonkwo", "Oliveira", "Ortiz", "Osei", "Park", "Patel",
    "Pereira", "Petrov", "Pham", "Popescu", "Quispe", "Rahman", "Ramirez", "Reddy", "Reyes", "Richter",
    "Rivera", "Robinson", "Rodriguez", "Romero", "Rossi", "Saito", "Sanchez", "Santos", "Schmidt", "Shah",
    "Sharma", "Silva", "Singh", "Smith", "Sokolov", "Suzuki", "Tanaka", "Taylor", "Thompson", "Torres",
    "Tran", "Tshabalala", "Usman", "Vargas", "Vasquez", "Vu", "Walker", "Wang", "Williams", "Wilson",
    "Wojcik", "Wright", "Wu", "Yadav", "Yamamoto", "Yilmaz", "Young", "Zhang", "Zhou", "Zielinski",
    "Van der Berg", "Al-Sayed", "De la Cruz", "MacLeod", "St. Clair", "Nunez-Ortega", "Lindqvist", "Kahananui",
)

EMAIL_DOMAINS: tuple[str, ...] = (
    "example.com", "example.net", "example.org", "mail.example", "inbox.example", "post.example",
)

# (city, state, area code)
CITIES: tuple[tuple[str, str, str], ...] = (
    ("Oakland", "CA", "510"), ("San Jose", "CA", "408"), ("Sacramento", "CA", "916"),
    ("Portland", "OR", "503"), ("Seattle", "WA", "206"), ("Tacoma", "WA", "253"),
    ("Denver", "CO", "303"), ("Austin", "TX", "512"), ("Houston", "TX", "713"),
    ("Dallas", "TX", "214"), ("Phoenix", "AZ", "602"), ("Tucson", "AZ", "520"),
    ("Chicago", "IL", "312"), ("Evanston", "IL", "847"), ("Minneapolis", "MN", "612"),
    ("Detroit", "MI", "313"), ("Columbus", "OH", "614"), ("Atlanta", "GA", "404"),
    ("Miami", "FL", "305"), ("Orlando", "FL", "407"), ("Tampa", "FL", "813"),
    ("Charlotte", "NC", "704"), ("Raleigh", "NC", "919"), ("Nashville", "TN", "615"),
    ("Boston", "MA", "617"), ("Providence", "RI", "401"), ("Newark", "NJ", "973"),
    ("Brooklyn", "NY", "718"), ("Philadelphia", "PA", "215"), ("Pittsburgh", "PA", "412"),
    ("Baltimore", "MD", "410"), ("Richmond", "VA", "804"), ("Salt Lake City", "UT", "801"),
    ("Albuquerque", "NM", "505"), ("Las Vegas", "NV", "702"), ("Honolulu", "HI", "808"),
    ("Kansas City", "MO", "816"), ("St. Louis", "MO", "314"), ("Milwaukee", "WI", "414"),
    ("New Orleans", "LA", "504"),
)

STREETS: tuple[str, ...] = (
    "Maple Ave", "Oak St", "Cedar Ln", "Pine St", "Elm St", "Washington Blvd", "Lincoln Ave",
    "Park Pl", "Lakeview Dr", "Sunset Blvd", "Highland Ave", "Riverside Dr", "Mission St",
    "Broadway", "Market St", "Church St", "College Ave", "Grand Ave", "Hillcrest Rd", "Willow Way",
    "Magnolia Ct", "Juniper St", "Chestnut St", "Walnut St", "Spruce Ave", "Harbor Rd",
    "Jefferson St", "Adams Ave", "Madison Ave", "Franklin St", "Jackson Blvd", "Cherry Ln",
    "Birch Rd", "Aspen Ct", "Poplar St", "Sycamore Dr", "Laurel Ave", "Dogwood Ln", "Meadow Rd",
    "Orchard St",
)

STORE_BRANDS: tuple[str, ...] = (
    "FreshWay Market", "Green Basket", "Corner Pantry", "Harvest Foods", "Daily Grocer",
    "Sunrise Supermarket", "ValueMart Foods", "Urban Greens Co-op", "Golden Aisle", "Hometown Market",
    "Pacific Fresh", "Lucky Cart", "Bodega Central", "Mercado La Plaza", "Asia Fresh Mart",
)

# (item, price in cents)
GROCERIES: tuple[tuple[str, int], ...] = (
    ("Organic bananas (1 bunch)", 249), ("Whole milk, 1 gal", 429), ("Large brown eggs, 12 ct", 519),
    ("Sourdough loaf", 549), ("Baby spinach, 10 oz", 399), ("Chicken thighs, 2 lb", 899),
    ("Ground beef 85/15, 1 lb", 699), ("Atlantic salmon fillet", 1299), ("Greek yogurt, 32 oz", 649),
    ("Cheddar cheese block", 479), ("Basmati rice, 5 lb", 899), ("Black beans, 15 oz", 129),
    ("Avocados, bag of 4", 549), ("Roma tomatoes, 2 lb", 329), ("Yellow onions, 3 lb", 299),
    ("Russet potatoes, 5 lb", 449), ("Strawberries, 1 lb", 499), ("Blueberries, pint", 449),
    ("Orange juice, 52 oz", 529), ("Coffee beans, 12 oz", 1099), ("Oat milk, half gal", 479),
    ("Pasta, penne 1 lb", 179), ("Marinara sauce, 24 oz", 399), ("Olive oil, 500 ml", 899),
    ("Tortillas, 10 ct", 349), ("Paper towels, 6 rolls", 1199), ("Laundry detergent", 1499),
    ("Dish soap", 349), ("Diapers, size 3", 2799), ("Baby formula, 12.4 oz", 2299),
    ("Frozen pizza", 749), ("Vanilla ice cream, 1.5 qt", 599), ("Tofu, firm", 279),
    ("Kimchi, 16 oz", 699), ("Jasmine rice, 2 lb", 549), ("Plantains, each", 89),
    ("Cilantro bunch", 129), ("Limes, bag", 399), ("Apples, Honeycrisp 3 lb", 699),
    ("Peanut butter, 16 oz", 399), ("Cereal, family size", 599), ("Sparkling water, 12 pk", 699),
    ("Dog food, 15 lb", 3299), ("Cat litter, 20 lb", 1599), ("Ibuprofen, 100 ct", 999),
    ("Hummus, 10 oz", 449), ("Bagels, 6 ct", 499), ("Butter, unsalted 1 lb", 599),
)

ALCOHOL: tuple[tuple[str, int], ...] = (
    ("Red wine, Cabernet 750 ml", 1499), ("White wine, Sauvignon Blanc 750 ml", 1299),
    ("Lager, 12 pk cans", 1799), ("IPA, 6 pk", 1199), ("Hard seltzer, 12 pk", 1899),
    ("Vodka, 750 ml", 2199), ("Tequila blanco, 750 ml", 2999), ("Prosecco, 750 ml", 1599),
)

# vehicle descriptions for shoppers' reports
VEHICLES: tuple[str, ...] = (
    "silver sedan", "white SUV", "black pickup", "blue hatchback", "red compact car", "grey minivan",
)
