/**
 * City names for the `address` detector: the ~330 largest US cities (2020 census, incorporated
 * places of 100,000+ people and a few large unincorporated ones) and a short list of the world's
 * largest cities. Lower case, words separated by one space, `st.` / `fort` spelled out as in
 * common use ("st. louis", "fort worth"); the detector normalises "St"/"Saint" before looking up.
 *
 * A city name is only taken in free text with a location cue before it ("in", "from", "moved
 * to") or a state after it ("Phoenix, AZ"); names that are also common words, brands or places
 * other than cities need the stronger cues (see `AMBIGUOUS_CITIES`). States and countries are
 * never listed here: Safe Harbor lets them stay.
 */

function lines(text: string): ReadonlySet<string> {
  const set = new Set<string>();
  for (const line of text.split('\n')) {
    const name = line.trim();
    if (name.length > 0) for (const part of name.split('|')) set.add(part.trim());
  }
  return set;
}

export const US_CITIES: ReadonlySet<string> = lines(`
  new york|new york city|nyc|los angeles|chicago|houston|phoenix|philadelphia|san antonio|san diego
  dallas|san jose|austin|jacksonville|fort worth|columbus|indianapolis|charlotte|san francisco
  seattle|denver|oklahoma city|nashville|el paso|boston|portland|las vegas|detroit|memphis
  louisville|baltimore|milwaukee|albuquerque|tucson|fresno|sacramento|kansas city|mesa|atlanta
  omaha|colorado springs|raleigh|long beach|virginia beach|miami|oakland|minneapolis|tulsa
  bakersfield|wichita|arlington|aurora|tampa|new orleans|cleveland|honolulu|anaheim|lexington
  stockton|corpus christi|henderson|riverside|newark|st. paul|santa ana|cincinnati|irvine
  orlando|pittsburgh|st. louis|greensboro|jersey city|anchorage|lincoln|plano|durham|buffalo
  chandler|chula vista|toledo|madison|gilbert|reno|fort wayne|north las vegas|st. petersburg
  lubbock|irving|laredo|winston-salem|chesapeake|glendale|garland|scottsdale|norfolk|boise
  fremont|spokane|santa clarita|baton rouge|richmond|tacoma|san bernardino|modesto|fontana
  des moines|moreno valley|santa clarita|fayetteville|birmingham|oxnard|rochester|port st. lucie
  grand rapids|huntsville|salt lake city|frisco|yonkers|amarillo|glendale|huntington beach
  mckinney|montgomery|augusta|aurora|akron|little rock|tempe|columbus|overland park|grand prairie
  tallahassee|cape coral|mobile|knoxville|shreveport|worcester|ontario|vancouver|sioux falls
  chattanooga|brownsville|fort lauderdale|providence|newport news|rancho cucamonga|santa rosa
  peoria|oceanside|elk grove|salem|pembroke pines|eugene|garden grove|cary|fort collins|corona
  springfield|jackson|alexandria|hayward|clarksville|lakewood|lancaster|salinas|palmdale
  hollywood|springfield|sunnyvale|macon|kansas city|pomona|escondido|killeen|naperville|joliet
  bellevue|rockford|savannah|paterson|torrance|bridgeport|mcallen|mesquite|syracuse|midland
  murfreesboro|miramar|dayton|fullerton|olathe|orange|thornton|roseville|denton|waco|surprise
  carrollton|west valley city|charleston|warren|hampton|gainesville|visalia|coral springs
  columbia|cedar rapids|sterling heights|new haven|stamford|concord|elizabeth|athens|thousand oaks
  lafayette|simi valley|topeka|norman|fargo|wilmington|abilene|odessa|pearland|victorville
  hartford|vallejo|allentown|berkeley|richardson|arvada|ann arbor|rochester|cambridge|sugar land
  lansing|evansville|college station|fairfield|clearwater|beaumont|independence|provo|west jordan
  murrieta|palm bay|el monte|carlsbad|charleston|temecula|clovis|meridian|westminster|costa mesa
  high point|manchester|pueblo|lakeland|pompano beach|west palm beach|antioch|everett|downey
  lowell|centennial|elgin|richmond|peoria|broken arrow|miami gardens|billings|jurupa valley
  sandy springs|gresham|lewisville|hillsboro|ventura|greeley|inglewood|waterbury|league city
  santa maria|tyler|davie|lakewood|daly city|boulder|allen|west covina|sparks|wichita falls
  green bay|san mateo|norwalk|rialto|las cruces|chico|el cajon|burbank|south bend|renton
  vista|davenport|edinburg|tuscaloosa|carmel|spokane valley|san angelo|vacaville|clinton
  bend|woodbridge|kenosha|lee's summit|lees summit|new bedford|quincy|yuma|roanoke|lynn
  nampa|orem|sandy|ogden|layton|st. george|kent|federal way|yakima|bellingham|edison|brockton
  round rock|longmont|loveland|fishers|carmel|goodyear|buckeye|menifee|fort myers|port orange
  deltona|sunrise|plantation|boca raton|palm coast|kissimmee|miami beach|deerfield beach
  asheville|wilmington|greenville|columbia|charleston|north charleston|gastonia|concord
  bloomington|champaign|naperville|aurora|cicero|evanston|schaumburg|ann arbor|dearborn
  livonia|troy|farmington hills|southfield|flint|warren|kalamazoo|grand rapids|toledo|canton
  youngstown|parma|scranton|reading|erie|harrisburg|trenton|camden|paterson|clifton|passaic
  albany|schenectady|utica|white plains|new rochelle|mount vernon|hoboken|bayonne|union city
  nashua|portland|burlington|bangor|springfield|hartford|new britain|danbury|providence
  warwick|cranston|pawtucket|worcester|lowell|cambridge|somerville|quincy|newton|framingham
  arlington|alexandria|fairfax|reston|silver spring|rockville|gaithersburg|frederick
  annapolis|towson|dover|wilmington|knoxville|murfreesboro|franklin|chattanooga|jackson
  gulfport|biloxi|hattiesburg|montgomery|tuscaloosa|dothan|hoover|baton rouge|lake charles
  lafayette|metairie|kenner|shreveport|fort smith|springdale|rogers|bentonville|jonesboro
  tulsa|norman|broken arrow|lawton|edmond|wichita|topeka|lawrence|overland park|olathe
  st. joseph|columbia|springfield|independence|lee's summit|omaha|lincoln|sioux city
  cedar rapids|iowa city|davenport|des moines|ames|dubuque|rochester|duluth|bloomington
  st. cloud|fargo|bismarck|rapid city|sioux falls|billings|missoula|bozeman|great falls
  casper|cheyenne|boise|nampa|meridian|idaho falls|pocatello|provo|orem|st. george
  reno|henderson|paradise|spring valley|enterprise|sunrise manor|flagstaff|prescott|tempe
  yuma|santa fe|las cruces|rio rancho|roswell|el paso|midland|odessa|san marcos|new braunfels
  conroe|the woodlands|katy|sugar land|pasadena|baytown|league city|galveston|beaumont
  tyler|longview|texarkana|wichita falls|abilene|amarillo|lubbock|san angelo|laredo|harlingen
  mcallen|brownsville|edinburg|mission|pharr|corpus christi|victoria|killeen|temple|waco
  bryan|college station|round rock|georgetown|cedar park|pflugerville|denton|lewisville
  flower mound|frisco|mckinney|plano|allen|richardson|garland|mesquite|carrollton|irving
  grand prairie|arlington|mansfield|fort worth|north richland hills|san buenaventura
  santa barbara|santa monica|pasadena|glendale|burbank|long beach|torrance|compton
  inglewood|downey|norwalk|whittier|pomona|ontario|fontana|rialto|san bernardino|redlands
  riverside|corona|temecula|murrieta|hemet|palm springs|palm desert|indio|oceanside
  escondido|carlsbad|vista|san marcos|chula vista|el cajon|santa cruz|salinas|monterey
  san luis obispo|visalia|modesto|stockton|merced|tracy|manteca|fairfield|vacaville|napa
  santa rosa|petaluma|berkeley|hayward|fremont|san leandro|san mateo|redwood city|palo alto
  mountain view|santa clara|sunnyvale|cupertino|milpitas|livermore|pleasanton|walnut creek
  concord|antioch|richmond|vallejo|daly city|south san francisco|chico|redding|eureka
  eugene|salem|gresham|hillsboro|beaverton|bend|medford|spokane|tacoma|everett|kent
  renton|bellevue|redmond|kirkland|olympia|vancouver|yakima|kennewick|bellingham|auburn
  juneau|fairbanks|honolulu|hilo|kailua|pearl city|san juan|bayamon|ponce
  washington dc|washington d.c.
`);

/** Large cities outside the US, for people who moved or travel: the same cue rules apply. */
export const WORLD_CITIES: ReadonlySet<string> = lines(`
  london|manchester|liverpool|glasgow|edinburgh|dublin|paris|lyon|marseille|berlin|munich
  hamburg|frankfurt|cologne|vienna|zurich|geneva|amsterdam|rotterdam|brussels|madrid|barcelona
  lisbon|porto|rome|milan|naples|athens|istanbul|ankara|moscow|kyiv|kiev|warsaw|krakow|prague
  budapest|bucharest|stockholm|oslo|copenhagen|helsinki|toronto|montreal|calgary|edmonton
  ottawa|winnipeg|mexico city|guadalajara|monterrey|tijuana|havana|bogota|medellin|lima
  santiago|buenos aires|sao paulo|rio de janeiro|caracas|quito|tokyo|osaka|kyoto|yokohama
  seoul|busan|beijing|shanghai|shenzhen|guangzhou|hong kong|taipei|manila|quezon city|cebu
  hanoi|ho chi minh city|saigon|bangkok|jakarta|kuala lumpur|mumbai|delhi|new delhi|bangalore
  bengaluru|chennai|hyderabad|kolkata|pune|ahmedabad|karachi|lahore|dhaka|kathmandu|tehran
  baghdad|riyadh|jeddah|dubai|abu dhabi|doha|amman|beirut|cairo|alexandria|casablanca|lagos
  abuja|accra|nairobi|addis ababa|kinshasa|johannesburg|cape town|durban|sydney|melbourne
  brisbane|perth|adelaide|auckland|wellington
`);

/**
 * Cities whose names are also common words, brands, people, universities, or states and
 * provinces elsewhere ("Switch to Mobile", "Available in Orange", "at Temple", "in Victoria",
 * "to Jackson"). They need a residence cue ("lives in", "moved to", "based in") or a state after.
 */
export const AMBIGUOUS_CITIES: ReadonlySet<string> = lines(`
  mobile|orange|surprise|independence|enterprise|paradise|temple|victoria|columbia|hollywood
  boulder|mission|reading|vista|centennial|sunrise|plantation|spring valley|concord|lincoln
  ontario|sparks|bend|buckeye|goodyear|edison|napa|eureka|meridian|auburn|midland|mesquite
  sandy|allen|tyler|irving|gilbert|chandler|troy|clinton|franklin|warren|rogers|lawrence
  quincy|newton|bryan|kent|jackson|madison|dover|canton|santiago|lima|wellington|cicero
  sugar land|flower mound|apple valley|the woodlands|high point|round rock|green bay
`);
