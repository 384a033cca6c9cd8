"""LinkedIn's metropolitan-area locations and the city each one is named after.

LinkedIn writes a member's location as a metro area when the member picked one: "Greater
Chicago Area", "New York City Metropolitan Area", "San Francisco Bay Area", "Dallas-Fort
Worth Metroplex", "Greater Paris Metropolitan Region". A metro resolves to its principal
city (the first one named), in its state and country. `pipeline.locations` parses such names
generically (a "Greater" prefix, an "Area"/"Metropolitan Area"/"Metroplex"/"Region" suffix,
the first city of "A-B-C"); this table holds LinkedIn's own list of metro names, so a name
resolves to the right city even when the generic reading would not (several cities named in
the core, a core that is a region, a same-named city elsewhere), and keeps the class
covered beyond the handful of examples. Read at run time (no gazetteer rebuild needed).

Each entry is ``CC City: metro name | metro name``, continued on indented lines; the city is
looked up in the gazetteer inside country CC (its division comes from there); names are
compared folded (`pipeline.fold.fold_words`).
"""

from __future__ import annotations

from typing import NamedTuple

from pipeline.fold import fold_words

_METROS = """
US New York City: new york city metropolitan area | greater new york city area |
    new york metropolitan area | nyc metro area | new york city area
US Los Angeles: los angeles metropolitan area | greater los angeles area | greater los angeles |
    los angeles area
US San Francisco: san francisco bay area | greater san francisco bay area |
    sf bay area metropolitan | san francisco metropolitan area
US Chicago: greater chicago area | chicago metropolitan area | chicagoland
US Dallas: dallas fort worth metroplex | dallas-fort worth metroplex | dfw metroplex |
    greater dallas area | dallas metropolitan area
US Houston: greater houston | greater houston area | houston metropolitan area
US Washington: washington dc baltimore area | washington dc metro area |
    greater washington dc area | washington metropolitan area | dc metro area
US Miami: miami fort lauderdale area | greater miami area | miami metropolitan area |
    south florida metropolitan area
US Philadelphia: greater philadelphia | greater philadelphia area | philadelphia metropolitan area
US Atlanta: atlanta metropolitan area | greater atlanta area | metro atlanta
US Boston: greater boston | greater boston area | boston metropolitan area
US Phoenix: phoenix metropolitan area | greater phoenix area | greater phoenix
US Seattle: greater seattle area | seattle metropolitan area | seattle tacoma area
US Minneapolis: greater minneapolis st paul area | minneapolis st paul metropolitan area |
    twin cities metropolitan area
US San Diego: greater san diego area | san diego metropolitan area
US Denver: denver metropolitan area | greater denver area
US Tampa: tampa bay area | greater tampa bay area | tampa metropolitan area
US St. Louis: greater st louis | greater st louis area | st louis metropolitan area
US Baltimore: baltimore metropolitan area | greater baltimore area
US Orlando: greater orlando | orlando metropolitan area
US Charlotte: charlotte metro | greater charlotte area | charlotte metropolitan area
US San Antonio: san antonio texas metropolitan area | greater san antonio |
    san antonio metropolitan area
US Portland: portland oregon metropolitan area | greater portland area | portland metropolitan area
US Sacramento: sacramento metropolitan area | greater sacramento | greater sacramento area
US Pittsburgh: greater pittsburgh region | greater pittsburgh area | pittsburgh metropolitan area
US Austin: austin texas metropolitan area | greater austin area | austin metropolitan area
US Las Vegas: las vegas metropolitan area | greater las vegas area
US Cincinnati: cincinnati metropolitan area | greater cincinnati area
US Kansas City: kansas city metropolitan area | greater kansas city area
US Columbus: columbus ohio metropolitan area | greater columbus area | columbus metropolitan area
US Indianapolis: greater indianapolis | greater indianapolis area | indianapolis metropolitan area
US Cleveland: greater cleveland | cleveland akron metropolitan area | cleveland metropolitan area
US San Jose: san jose metropolitan area | greater san jose area
US Nashville: nashville metropolitan area | greater nashville area
US Virginia Beach: virginia beach norfolk metropolitan area | greater hampton roads area
US Providence: greater providence | providence metropolitan area
US Milwaukee: greater milwaukee | milwaukee metropolitan area
US Jacksonville: greater jacksonville area | jacksonville metropolitan area
US Oklahoma City: oklahoma city metropolitan area | greater oklahoma city area
US Raleigh: raleigh durham chapel hill area | raleigh durham area | greater raleigh area |
    raleigh metropolitan area
US Memphis: memphis metropolitan area | greater memphis area
US Richmond: richmond virginia metropolitan area | greater richmond region
US New Orleans: new orleans metropolitan area | greater new orleans region
US Louisville: louisville metropolitan area | greater louisville
US Salt Lake City: salt lake city metropolitan area | greater salt lake city area
US Hartford: hartford metropolitan area | greater hartford
US Buffalo: buffalo niagara falls area | greater buffalo area | buffalo metropolitan area
US Birmingham: birmingham alabama metropolitan area | greater birmingham alabama area
US Rochester: rochester new york metropolitan area | greater rochester new york area
US Grand Rapids: grand rapids metropolitan area | greater grand rapids area
US Detroit: greater detroit area | detroit metropolitan area | metro detroit
US Tucson: tucson metropolitan area | greater tucson area
US Honolulu: honolulu metropolitan area | greater honolulu area
US Tulsa: tulsa metropolitan area | greater tulsa area
US Fresno: fresno metropolitan area | greater fresno area
US Omaha: omaha metropolitan area | greater omaha area
US Albuquerque: albuquerque metropolitan area | greater albuquerque area
US Albany: albany new york metropolitan area | greater albany new york area |
    capital region new york
US Oxnard: oxnard thousand oaks ventura area
US El Paso: el paso metropolitan area | greater el paso area
US Charleston: charleston south carolina metropolitan area | greater charleston area
US Columbia: columbia south carolina metropolitan area
US Greenville: greenville spartanburg anderson south carolina area | greenville metropolitan area
US Boise: boise metropolitan area | greater boise area
US Madison: madison wisconsin metropolitan area | greater madison area
US Greensboro: greensboro winston salem high point area
US Little Rock: little rock metropolitan area | greater little rock
US Des Moines: des moines metropolitan area | greater des moines area
US Anchorage: anchorage metropolitan area
US Spokane: spokane metropolitan area | greater spokane area
US Colorado Springs: colorado springs metropolitan area
US Santa Barbara: santa barbara metropolitan area
US Fort Myers: cape coral metropolitan area | greater fort myers area
US Sarasota: north port sarasota area | greater sarasota area
US Trenton: trenton metropolitan area
US Allentown: allentown metropolitan area | lehigh valley
US Harrisburg: harrisburg carlisle area | greater harrisburg area
US Syracuse: syracuse metropolitan area | greater syracuse area
US Bakersfield: bakersfield metropolitan area
US Riverside: riverside san bernardino ontario area
US Lansing: lansing east lansing area | greater lansing area
US Dayton: dayton metropolitan area | greater dayton area
US Toledo: toledo metropolitan area | greater toledo area
US Akron: akron metropolitan area
US Fort Wayne: fort wayne metropolitan area
US Wichita: wichita metropolitan area | greater wichita area
US Knoxville: knoxville metropolitan area | greater knoxville area
US Chattanooga: chattanooga metropolitan area | greater chattanooga
US Huntsville: huntsville metropolitan area | greater huntsville area
US Asheville: asheville metropolitan area | greater asheville
CA Toronto: greater toronto area | toronto metropolitan area | gta
CA Vancouver: greater vancouver metropolitan area | greater vancouver area | metro vancouver |
    vancouver metropolitan area
CA Montreal: greater montreal metropolitan area | greater montreal area | montreal metropolitan area
CA Calgary: greater calgary metropolitan area | calgary metropolitan area
CA Edmonton: greater edmonton metropolitan area | edmonton metropolitan area
CA Ottawa: greater ottawa metropolitan area | ottawa gatineau area
CA Winnipeg: greater winnipeg metropolitan area
CA Québec: greater quebec city metropolitan area | quebec city metropolitan area
CA Hamilton: greater hamilton metropolitan area
CA Halifax: greater halifax metropolitan area
GB London: greater london | greater london area | london area | london metropolitan area
GB Manchester: greater manchester | greater manchester area | manchester area
GB Birmingham: greater birmingham area | west midlands metropolitan area | birmingham area
GB Glasgow: greater glasgow area | glasgow area
GB Edinburgh: greater edinburgh area | edinburgh area
GB Leeds: leeds area | greater leeds area
GB Liverpool: greater liverpool area | liverpool city region
GB Bristol: greater bristol area | bristol area
GB Newcastle upon Tyne: greater newcastle area | tyne and wear
GB Sheffield: greater sheffield area | sheffield city region
GB Nottingham: greater nottingham area
GB Cambridge: greater cambridge area | cambridge area united kingdom
GB Oxford: greater oxford area
GB Cardiff: greater cardiff area | cardiff capital region
GB Belfast: greater belfast area | belfast metropolitan area
IE Dublin: greater dublin | greater dublin area | dublin metropolitan area
FR Paris: greater paris metropolitan region | paris metropolitan area | paris area |
    ile de france metropolitan area
FR Lyon: greater lyon area | lyon metropolitan area | metropole de lyon
FR Marseille: greater marseille metropolitan area | aix marseille metropolitan area
FR Toulouse: greater toulouse metropolitan area
FR Bordeaux: greater bordeaux metropolitan area
FR Lille: greater lille metropolitan area | lille metropolitan area
FR Nantes: greater nantes metropolitan area
FR Strasbourg: greater strasbourg metropolitan area
DE Berlin: berlin metropolitan area | greater berlin area | berlin brandenburg metropolitan region
DE Munich: greater munich metropolitan area | munich metropolitan region | munich area
DE Hamburg: greater hamburg area | hamburg metropolitan region | hamburg metropolitan area
DE Frankfurt am Main: frankfurt rhine main metropolitan area | greater frankfurt area |
    frankfurt rhine main | rhine main area
DE Cologne: cologne bonn region | greater cologne area | cologne metropolitan area
DE Düsseldorf: greater dusseldorf area | dusseldorf metropolitan area
DE Stuttgart: stuttgart region | greater stuttgart area | stuttgart metropolitan region
DE Essen: ruhr region | rhine ruhr metropolitan region | rhine ruhr
DE Hanover: hannover region | greater hanover area
DE Nuremberg: nuremberg metropolitan region | greater nuremberg area
DE Leipzig: greater leipzig area | leipzig metropolitan area
NL Amsterdam: amsterdam area | greater amsterdam area | amsterdam metropolitan area
NL Rotterdam: rotterdam area | rotterdam the hague metropolitan area | rotterdam metropolitan area
NL The Hague: the hague area | greater the hague area
NL Utrecht: utrecht area | greater utrecht area
NL Eindhoven: eindhoven area | brainport eindhoven
BE Brussels: brussels metropolitan area | greater brussels area | brussels region
BE Antwerp: antwerp metropolitan area | greater antwerp area
ES Madrid: greater madrid metropolitan area | madrid metropolitan area | comunidad de madrid area
ES Barcelona: greater barcelona metropolitan area | barcelona metropolitan area |
    metropolitan area of barcelona
ES Valencia: greater valencia metropolitan area | valencian metropolitan area
ES Seville: greater seville metropolitan area
ES Málaga: greater malaga metropolitan area | malaga metropolitan area
ES Bilbao: greater bilbao metropolitan area | bilbao metropolitan area
PT Lisbon: greater lisbon | lisbon metropolitan area | greater lisbon area
PT Porto: greater porto area | porto metropolitan area
IT Milan: greater milan metropolitan area | milan metropolitan area | milan area
IT Rome: greater rome metropolitan area | rome metropolitan area | rome area
IT Turin: greater turin metropolitan area | turin metropolitan area
IT Naples: greater naples metropolitan area | naples metropolitan area
IT Florence: greater florence metropolitan area
IT Bologna: greater bologna metropolitan area
CH Zurich: greater zurich area | zurich metropolitan area | zurich area
CH Geneva: greater geneva area | geneva metropolitan area | lake geneva region
CH Basel: greater basel area | basel metropolitan area
AT Vienna: vienna metropolitan area | greater vienna area
SE Stockholm: greater stockholm metropolitan area | stockholm metropolitan area | stockholm area
SE Gothenburg: greater gothenburg metropolitan area | gothenburg metropolitan area
SE Malmö: greater malmo metropolitan area | malmo metropolitan area | oresund region
DK Copenhagen: greater copenhagen region | copenhagen metropolitan area | greater copenhagen area
NO Oslo: greater oslo region | oslo metropolitan area | oslo area
FI Helsinki: greater helsinki area | helsinki metropolitan area | helsinki region
PL Warsaw: warsaw metropolitan area | greater warsaw area | warszawa metropolitan area
PL Kraków: krakow metropolitan area | greater krakow area
CZ Prague: prague metropolitan area | greater prague area | prague area
HU Budapest: budapest metropolitan area | greater budapest area
RO Bucharest: bucharest metropolitan area | greater bucharest area
GR Athens: athens metropolitan area | greater athens area | attica metropolitan area
TR Istanbul: greater istanbul | istanbul metropolitan area | istanbul area
IL Tel Aviv: tel aviv area | greater tel aviv area | tel aviv metropolitan area | gush dan
AE Dubai: dubai metropolitan area | greater dubai area | dubai area
IN Mumbai: mumbai metropolitan region | greater mumbai area | mumbai metropolitan area |
    greater mumbai
IN Bengaluru: greater bengaluru area | bengaluru metropolitan area | greater bangalore area |
    bangalore urban
IN New Delhi: greater delhi area | delhi metropolitan area | national capital region india |
    delhi ncr | ncr delhi
IN Hyderabad: greater hyderabad area | hyderabad metropolitan area
IN Chennai: greater chennai area | chennai metropolitan area
IN Pune: pune pimpri chinchwad area | greater pune area | pune metropolitan area
IN Kolkata: greater kolkata area | kolkata metropolitan area | greater calcutta area
IN Ahmedabad: greater ahmedabad area | ahmedabad metropolitan area
IN Gurugram: gurgaon area | greater gurgaon area
IN Noida: noida area | greater noida area
PK Karachi: karachi division | greater karachi area
SG Singapore: singapore metropolitan area | greater singapore area
MY Kuala Lumpur: greater kuala lumpur | kuala lumpur metropolitan area | klang valley
ID Jakarta: greater jakarta area | jakarta metropolitan area | jabodetabek
PH Manila: metro manila | greater manila area | manila metropolitan area
TH Bangkok: bangkok metropolitan area | greater bangkok area | bangkok metropolitan region
VN Hanoi: hanoi metropolitan area | greater hanoi area
VN Ho Chi Minh City: ho chi minh city metropolitan area | greater ho chi minh city area
JP Tokyo: greater tokyo area | tokyo metropolitan area | tokyo area
JP Osaka: greater osaka area | osaka metropolitan area | keihanshin
KR Seoul: seoul metropolitan area | greater seoul area | seoul capital area | sudogwon
CN Shanghai: greater shanghai area | shanghai metropolitan area
CN Beijing: greater beijing area | beijing metropolitan area
CN Shenzhen: greater shenzhen area | shenzhen metropolitan area
CN Guangzhou: greater guangzhou area | guangzhou metropolitan area
HK Hong Kong: hong kong metropolitan area | greater hong kong area
TW Taipei: greater taipei area | taipei metropolitan area
AU Sydney: greater sydney area | sydney metropolitan area | greater sydney
AU Melbourne: greater melbourne area | melbourne metropolitan area | greater melbourne
AU Brisbane: greater brisbane area | brisbane metropolitan area | greater brisbane
AU Perth: greater perth area | perth metropolitan area | greater perth
AU Adelaide: greater adelaide area | adelaide metropolitan area | greater adelaide
AU Canberra: greater canberra area | canberra metropolitan area
NZ Auckland: greater auckland area | auckland metropolitan area | auckland region
NZ Wellington: greater wellington area | wellington region metropolitan area
BR São Paulo: greater sao paulo | sao paulo metropolitan area | greater sao paulo area
BR Rio de Janeiro: greater rio de janeiro | rio de janeiro metropolitan area
BR Belo Horizonte: greater belo horizonte | belo horizonte metropolitan area
BR Porto Alegre: greater porto alegre | porto alegre metropolitan area
BR Curitiba: greater curitiba | curitiba metropolitan area
AR Buenos Aires: greater buenos aires | buenos aires metropolitan area | gba
MX Mexico City: mexico city metropolitan area | greater mexico city |
    valle de mexico metropolitan area
MX Guadalajara: guadalajara metropolitan area | greater guadalajara
MX Monterrey: monterrey metropolitan area | greater monterrey
CL Santiago: santiago metropolitan area | greater santiago | santiago metropolitan region
CO Bogotá: greater bogota | bogota metropolitan area | bogota dc metropolitan area
CO Medellín: medellin metropolitan area | greater medellin | aburra valley
PE Lima: lima metropolitan area | greater lima | metropolitan lima
ZA Johannesburg: johannesburg metropolitan area | greater johannesburg area
ZA Cape Town: cape town metropolitan area | greater cape town area | city of cape town
NG Lagos: lagos metropolitan area | greater lagos area
KE Nairobi: nairobi metropolitan area | greater nairobi area
EG Cairo: greater cairo | cairo metropolitan area | greater cairo area
"""


class Metro(NamedTuple):
    """The city a metro area is named after, and its country."""

    city: str
    cc: str


def _parse(table: str) -> dict[str, Metro]:
    """Parse the table into {folded metro name: Metro}."""
    metros: dict[str, Metro] = {}
    for line in table.strip().replace("|\n    ", "| ").splitlines():
        head, names = line.split(":", 1)
        cc, city = head.split(" ", 1)
        metro = Metro(city.strip(), cc)
        metros.update({fold_words(name): metro for name in names.split("|")})
    return metros


#: LinkedIn metro names (folded) → the city they are named after.
METROS: dict[str, Metro] = _parse(_METROS)
