/**
 * Name dictionaries for the `name` detector: common US first names (all genders, diverse origins)
 * and common US surnames (census-style ranking, plus frequent Hispanic, Asian, African, European
 * and Middle-Eastern surnames). Everything is lower case ASCII with apostrophes removed
 * (`O'Brien` → `obrien`); the detector folds diacritics before looking a token up.
 *
 * Written as whitespace-separated text and split once at module load: easier to review and edit
 * than thousands of quoted literals.
 */

function wordSet(text: string): ReadonlySet<string> {
  return new Set(text.trim().split(/\s+/));
}

export const FIRST_NAMES: ReadonlySet<string> = wordSet(`
  james john robert michael william david richard joseph thomas charles christopher daniel matthew
  anthony mark donald steven paul andrew joshua kenneth kevin brian george timothy ronald edward
  jason jeffrey ryan jacob gary nicholas eric jonathan stephen larry justin scott brandon benjamin
  samuel gregory alexander frank patrick raymond jack dennis jerry tyler aaron jose adam nathan
  henry douglas zachary peter kyle ethan walter noah jeremy christian keith roger terry gerald
  harold sean austin carl arthur lawrence dylan jesse jordan bryan billy joe bruce gabriel logan
  albert willie alan juan wayne elijah randy roy vincent ralph eugene russell bobby mason philip
  louis harry howard fred liam oliver lucas aiden jackson caleb luke isaac owen wyatt julian levi
  hunter connor landon adrian jaxon carter grayson josiah evan colton cameron ian brayden ayden
  dominic xavier jace maverick kai jaden max miles micah bentley everett nolan ezra leo hudson
  lincoln asher theodore mateo sebastian jayden carson easton parker cooper brody declan roman
  silas axel weston waylon ryder elias jasper greyson bennett sawyer emmett ashton chase jude
  tristan rowan nathaniel jonah giovanni santiago diego luis carlos miguel angel antonio alejandro
  jesus francisco manuel javier ricardo fernando eduardo roberto pedro rafael sergio jorge mario
  raul ramon andres pablo emilio hector oscar ruben enrique arturo armando alfredo julio cesar
  ernesto guillermo marco marcos mauricio gustavo salvador ignacio joaquin tomas felipe rodrigo
  adolfo alberto esteban gerardo agustin hugo darnell deshawn jamal tyrone terrell malik andre
  darius marcus lamar jermaine kareem rashad tariq dwayne reginald cedric demetrius devon trevon
  jalen deandre terrence maurice desmond jamar rasheed lamont darryl derrick curtis clarence
  leroy otis alvin calvin marvin melvin vernon wendell cornelius isaiah malcolm jerome
  wei ming jun hiroshi takeshi kenji haruto ravi raj amit rahul arjun vikram sanjay anil sunil
  vijay rajesh suresh ramesh deepak pradeep ajay rohan aditya krishna ankit nikhil hao minh duc
  tuan huy khanh thanh hyun jin jae kwan hoon tae ahmed mohammed muhammad mohamed ali omar hassan
  hussein ibrahim yusuf abdul khalid mustafa karim amir faisal hamza bilal samir nabil rami zaid
  ahmad hans klaus jurgen lars sven erik anders nils johan pierre jean jacques francois michel
  luc olivier giuseppe luca matteo alessandro paolo stefano lorenzo francesco dmitri ivan sergei
  vladimir alexei nikolai igor boris pavel oleg andrzej piotr tomasz krzysztof jakub seamus
  conor niall cormac shane brendan kieran killian finn rory tom tim jim jimmy bob rob mike dave
  dan danny steve chris matt tony nick jeff ben sam alex andy ken greg ted eddie joey johnny
  tommy charlie frankie freddie rick ricky ron don jon josh zach nate jake stan stanley leonard
  norman herbert earl franklin bernard glenn glen travis derek shawn troy marc clifford allen
  lloyd chad jared corey cory brett todd gordon warren dale dean clayton mitchell spencer
  bradley brad neil lance wesley francis harvey barry jay jimmie johnnie lewis leon ray morris
  jerome max abraham elliot elliott quentin reid garrett grant beau brock colin graham desmond
  emmanuel emanuel ezekiel gideon jeremiah solomon tobias zion zane kendrick cyrus dante andres
  mathew mateus enzo rafael thiago joao gabriel
  mary patricia jennifer linda elizabeth barbara susan jessica sarah karen lisa nancy betty
  margaret sandra ashley kimberly emily donna michelle carol amanda dorothy melissa deborah
  stephanie rebecca sharon laura cynthia kathleen amy angela shirley anna brenda pamela emma
  nicole helen samantha katherine christine debra rachel carolyn janet catherine maria heather
  diane ruth julie olivia joyce virginia victoria kelly lauren christina joan evelyn judith megan
  andrea cheryl hannah jacqueline martha gloria teresa ann anne sara madison frances kathryn
  janice jean abigail alice judy sophia grace denise amber doris marilyn danielle beverly
  isabella theresa diana natalie brittany charlotte marie kayla alexis lori ava mia harper amelia
  ella avery sofia camila aria scarlett chloe layla riley zoey nora lily eleanor hazel violet
  aurora savannah audrey brooklyn bella claire skylar lucy paisley everly caroline nova genesis
  emilia kennedy maya willow kinsley naomi aaliyah elena ariana allison gabriella madelyn cora
  ruby eva serenity autumn adeline hailey gianna valentina isla eliana quinn nevaeh ivy sadie
  piper lydia alexa josephine emery julia delilah arianna vivian kaylee sophie brielle madeline
  peyton rylee clara hadley melanie mackenzie reagan adalynn liliana aubree jade isabelle natalia
  athena ximena arya leilani taylor faith rose kylie alexandra lyla amaya eliza brianna bailey
  khloe jasmine melody iris isabel norah annabelle valeria emerson adalyn ryleigh eden anastasia
  alyssa juliana esther ariel cecilia valerie alina molly reese aliyah lilly finley morgan sydney
  jordyn eloise trinity daisy genevieve arabella harmony elise remi teagan london sloane laila
  lucia juliette sienna elliana londyn ayla callie gracie josie amara jocelyn daniela mya summer
  alana brooke ana jane janie jo beth betsy liz kate katie meg jenny jenn becky sue pat abby
  allie annie ellie maggie peggy sally vicky wendy tina terri kathy cathy debbie barb carrie
  cindy sandy mandy missy penny holly dawn crystal tiffany april misty kristen kristin erin
  erica tara dana stacy stacey tracy tracey shannon kristina courtney lindsey lindsay whitney
  chelsea kelsey casey jamie jessie jenna leah gina vanessa monica alicia tamara renee sheila
  yvonne marcia wanda rita lois jill joy connie edith ethel mildred irene june florence mabel
  bernice lucille geraldine marjorie phyllis norma elaine lorraine louise marian rosemary
  loretta vera pearl thelma agnes paula robin robyn jeanne jeanette joanne joann kristy
  kirsten krista bethany brittney britney colleen maureen eileen kathleen bridget caitlin
  kaitlyn katelyn mallory meredith miranda natasha nina tanya toni traci vickie yolanda
  guadalupe rosa carmen juana margarita leticia beatriz veronica alejandra adriana claudia
  gabriela mariana fernanda lorena silvia araceli esperanza dolores consuelo pilar marisol
  maribel raquel ines catalina jimena rocio luz blanca graciela norma keisha latoya tamika
  ebony shaniqua imani tiana kiara shanice deja precious latisha tanisha monique destiny aisha
  nia lakisha shaquille aaliyah mei lin ling yan xiu hui jing yumi sakura aiko yoko keiko
  haruka priya anjali pooja neha divya sunita anita kavita lakshmi deepika shreya aishwarya
  ananya sneha meera linh lan thuy ngoc huong jiyeon minji fatima zainab maryam noor amina
  leila yasmin yasmine mariam sana hana ingrid astrid freya sigrid helga greta heidi anneliese
  monika ursula sabine francoise brigitte chantal giulia francesca chiara alessia olga
  svetlana tatiana irina katarzyna agnieszka magdalena siobhan aoife niamh saoirse gregory
  will bill art august hope sky skye drew gene reed wade rod duke jan van ed al ty homer sage
  river phoenix dallas israel rusty sonny cliff rocky harley mercedes justice sterling ember
  camden dakota georgia carolina ash brook sol chance winter
  yuki yuto sota ren riku haruki daiki kaito kenta shota takumi yusuke ryota akira satoshi
  kazuki hideo makoto naoki tadashi takashi yoshiro hiroko yuko mariko naoko emiko michiko
  akiko tomoko kumiko ayumi megumi misaki yui aoi hina rin mio nanami airi saki
  minjun seojun doyun jiho jihoon junho minho seungho hyunwoo donghyun sungmin jisoo jiwoo
  seoyeon seoyun jiwon minseo hayoon eunji yuna soyeon hyejin sooah jieun sujin
  jian jiahao haoran yuxuan zihan yichen zhiwei xiaoming xiaoling jingyi yuting xinyi meiling
  lihua ruoxi shu fang qiang lei bo jie peng chao yong hong xin
  aarav vihaan vivaan ishaan sai reyansh ayaan krish atharv rudra kabir arnav dhruv
  manish mahesh naresh dinesh ganesh ramesh rakesh mukesh hitesh nitin sachin varun karan
  rohit akshay abhishek gaurav siddharth pranav aryan tanvi aditi isha riya kavya saanvi diya
  anika avni kiara myra pari ishita nisha rekha geeta seema usha asha savita radha parvati
  sunil ashok vinod prakash ravi gopal arvind imran irfan asif arif tariq waqar usman
  zubair junaid adnan farhan shahid sajid rashid hamid nadeem naveen salman shoaib
  yousef youssef yousif mahmoud mahmood ahmet mehmet mustafa emre burak murat serkan cem
  kerem arda efe baris hakan ozan tolga onur eren zeynep elif ayse fatma emine hatice
  merve esra busra derya ebru ozge selin deniz ece aylin gizem
  abdullah abdulrahman abdelaziz hussain hasan husam tarek walid wael ziad nour rania
  dina lina reem rana hala samira nadia salma layla laila amal hiba dalia yara jana farida
  kwame kofi kojo kwaku kwabena yaw ama akua abena efua adjoa chidi chinedu chukwuemeka
  emeka obinna ikenna nnamdi uche chioma ngozi adaeze nkechi amaka chiamaka ifeoma
  oluwaseun olumide olusegun tunde tunji babajide ayodele adebayo femi folake funmilayo
  yetunde bukola temitope tolu kemi segun dele bola abimbola nneka zainab halima hauwa
  aminu musa sani bello ibrahim kipchoge wanjiru wambui njeri achieng otieno odhiambo
  kamau mwangi baraka amani zawadi neema imani juma jabari sefu tendai tatenda farai
  rudo chipo thabo sipho themba lwazi nomvula thandiwe zanele lerato palesa mpho
  selam abebe tesfaye haile bereket dawit yonas meron hiwot tigist marta mekdes saba
  genet alem almaz biniam samson tadesse girma mulugeta aster
  maricel marites maribel marilou jocelyn rowena jovelyn rhea mylene
  analyn arnel arnold reynaldo rodel romeo jomar jerome jayson mark jun jojo
  rizal jose emilio andres bayani dante ramil rommel noel nestor edgardo danilo
  keoni kealoha kalani kanoa makoa koa kaimana kainoa keanu keala leilani malia noelani
  kahiau kapono kekoa kawika keola mahina nalani pua alana moana kailani lokelani
  sione tevita viliami mele losaline siosaia manu tama tavita sefa ioane ana
  vladislav vyacheslav yaroslav stanislav miroslav bogdan dmitry mikhail maxim artem
  anton andrei roman yuri yuriy denis ruslan arkady grigori evgeny yevgeny leonid
  ekaterina yekaterina anastasia natalia natalya oksana lyudmila galina larisa tatyana
  yulia yuliya daria darya ksenia polina alina valentina vera nadezhda zoya ludmila
  milica marija jelena ivana ana dragan milan nikola marko stefan dusan goran zoran
  miroslava dorota ewa beata joanna malgorzata zofia jadwiga wojciech marek pawel
  lukasz grzegorz mateusz szymon kacper bartosz dariusz slawomir jaroslaw zbigniew
  giorgos georgios yiannis giannis ioannis dimitris dimitrios konstantinos kostas nikos
  nikolaos panagiotis christos vasilis vasileios spyros stavros thanasis athanasios
  eleni maria katerina georgia dimitra sofia vasiliki despina panagiota anastasia
  theodora kalliopi evangelia
  jurgen gunther gunter dieter wolfgang helmut manfred horst rainer uwe matthias
  tobias florian sebastian lukas jonas felix leon maximilian niklas moritz fabian
  birgit petra gisela renate karin sabine stefanie claudia katrin anja jana lena
  hannah marlene johanna frieda mathilde sven bjorn soren mikkel rasmus
  magnus henrik jens kasper anders ole knut lars leif gunnar ingrid solveig liv
  siobhan orla roisin ciara sinead grainne padraig eoin darragh cathal fionn oisin
  cian ronan declan eamon eamonn donal fergus aisling clodagh
  thiago mateus davi heitor bernardo arthur guilherme gustavo leonardo vinicius caio
  joao pedro luiz luis carlos eduardo murilo enzo lorenzo bruna larissa leticia camila
  juliana beatriz luiza giovanna yasmin isadora manuela rafaela
  xochitl citlali itzel yaretzi ximena guadalupe lupita socorro rosario concepcion
  jesus ezequiel ulises efrain rigoberto heriberto leobardo eusebio anselmo
  nguyen binh chau giang hai hieu hoa khoa phong phuc quang
  thao trang trinh tuyet van vinh xuan bao quoc tien
  chayton dakota kiona aiyana takoda tala winona
  aroha annika moshe wiremu anahera ngaio hemi tamati manaia bongani kagiso naledi lindiwe
  thandeka ayanda mandla zodwa akosua khadija omari linnea ciaran tadhg haeun mingyu zhihao
  priyanka arun karthik venkat srinivas murali phuong nguyet kiet renata paloma goncalo matilde
  pernille mette femke anouk joost pieter wouter heike ulrike anke baptiste aurelien benoit
  sebastien thibault margaux clementine solene gaelle yannick federica ilaria efrat tzipora yael
  eitan yosef shira tamar chaim yitzhak mordechai rivka chana miriam devorah seoyeon minjun jiho
  jiwoo seojun yejin sunita thandiwe dmitri
`);

export const SURNAMES: ReadonlySet<string> = wordSet(`
  smith johnson williams brown jones garcia miller davis rodriguez martinez hernandez lopez
  gonzalez wilson anderson thomas taylor moore jackson martin lee perez thompson white harris
  sanchez clark ramirez lewis robinson walker young allen king wright scott torres nguyen hill
  flores green adams nelson baker hall rivera campbell mitchell carter roberts gomez phillips
  evans turner diaz parker cruz edwards collins reyes stewart morris morales murphy cook rogers
  gutierrez ortiz morgan cooper peterson bailey reed kelly howard ramos kim cox ward richardson
  watson brooks chavez wood james bennett gray grey mendoza ruiz hughes price alvarez castillo
  sanders patel myers long ross foster jimenez powell jenkins perry russell sullivan bell
  coleman butler henderson barnes gonzales fisher vasquez simmons romero jordan patterson
  alexander hamilton graham reynolds griffin wallace moreno west cole hayes bryant herrera
  gibson ellis tran medina aguilar stevens murray ford castro marshall owens harrison fernandez
  mcdonald woods washington kennedy wells vargas henry chen freeman webb tucker guzman burns
  crawford olson simpson porter hunter gordon mendez silva shaw snyder mason dixon munoz hunt
  hicks holmes palmer wagner black robertson boyd rose stone salazar fox warren mills meyer rice
  schmidt garza daniels ferguson nichols stephens soto weaver ryan gardner payne grant dunn
  kelley spencer hawkins arnold pierce vazquez hansen peters santos hart bradley knight elliott
  cunningham duncan armstrong hudson carroll lane riley andrews alvarado ray delgado berry
  perkins hoffman johnston matthews pena richards contreras willis carpenter lawrence sandoval
  guerrero george chapman rios estrada ortega watkins greene nunez wheeler valdez harper burke
  larson santiago maldonado morrison franklin carlson austin dominguez carr lawson jacobs
  obrien lynch singh vega bishop montgomery oliver jensen harvey williamson gilbert dean sims
  espinoza howell li wong reid hanson le mccoy garrett burton fuller wang weber welch rojas
  lucas marquez fields park yang little banks padilla day walsh bowman schultz luna fowler
  mejia davidson acosta brewer may holland juarez newman pearson curtis cortez douglas
  schneider joseph barrett navarro figueroa keller avila wade molina stanley hopkins campos
  barnett bates chambers caldwell beck lambert miranda byrd craig ayala lowe frazier powers
  neal leonard gregory carrillo sutton fleming rhodes shelton schwartz norris jennings watts
  duran walters cohen mcdaniel moran parks steele vaughn becker holt deleon barker terry hale
  leon benson haynes horton miles lyons pham graves bush thornton wolfe warner cabrera
  mckinney mann zimmerman dawson lara fletcher page mccarthy love robles cervantes solis
  erickson reeves chang klein salinas fuentes baldwin daniel simon velasquez hardy higgins
  aguirre lin cummings chandler sharp barber bowen ochoa dennis robbins liu ramsey francis
  griffith paul blair oconnor cardenas pacheco cross calderon quinn moss swanson chan rivas
  khan rodgers serrano fitzgerald rosales stevenson christensen manning gill curry mclaughlin
  harmon mcgee gross doyle garner newton burgess reese walton blake trujillo adkins brady
  goodman roman webster goodwin fischer huang potter delacruz montoya todd wu hines mullins
  castaneda malone cannon tate mack sherman hubbard hodges zhang guerra wolf valencia saunders
  franco rowe gallagher farmer hammond hampton townsend ingram wise gallegos clarke barton
  schroeder maxwell waters logan camacho strickland norman person colon parsons frank
  harrington glover osborne buchanan casey floyd patton ibarra ball tyler suarez bowers orozco
  salas cobb gibbs andrade bauer conner moody escobar mcguire lloyd mueller hartman french
  kramer mcbride pope lindsey velazquez norton mccormick sparks flynn yates hogan marsh macias
  villanueva zamora pratt stokes owen ballard lang brock villarreal charles drake barrera cain
  patrick pineda burnett mercado santana shepherd bautista ali shaffer lamb trevino mckenzie
  hess olsen cochran morton nash wilkins petersen briggs shah roth nicholson holloway lozano
  flowers rangel hoover short arias mora valenzuela bryan meyers weiss underwood bass greer
  summers houston carson morrow clayton whitaker decker yoder collier zuniga carey wilcox
  melendez poole roberson larsen conley davenport copeland massey lam huff rocha cameron
  jefferson hood monroe anthony pittman huynh randall singleton kirk combs mathis christian
  skinner bradford richard galvan wall boone kirby wilkinson bridges bruce atkinson velez meza
  roy vincent york hodge villa abbott allison tapia gates chase sosa sweeney farrell wyatt
  dalton horn barron phelps yu dickerson heath foley atkins mathews bonilla acevedo benitez
  zavala hensley glenn cisneros harrell shields rubio huffman choi boyer garrison arroyo bond
  kane hancock callahan dillon cline wiggins grimes arellano melton oneill savage ho beltran
  pitts parrish ponce rich booth koch golden ware brennan mcdowell marks cantu humphrey baxter
  sawyer clay tanner hutchinson kaufman doe roe house
  nakamura tanaka suzuki sato watanabe takahashi ito yamamoto kobayashi kato yoshida yamada
  sasaki matsumoto inoue kimura hayashi shimizu mori ikeda hashimoto ishikawa ogawa okada goto
  jung jeong kang cho yoon jang lim han oh seo shin kwon hwang ahn song hong jeon ko moon son
  bae baek zhao zhou xu sun ma zhu hu guo he luo zheng liang xie tang cao deng feng zeng peng
  xiao cai pan tian dong yuan jiang ye du su wei cheng lu ding shen ren yao fang zou xiong ng
  tsai chu kwok leung yeung cheung lau wan phan vu vo dang bui do ngo duong ly truong
  kumar sharma gupta mehta reddy rao iyer nair joshi desai kapoor malhotra chopra agarwal
  bhatt chaudhary das bose banerjee chatterjee mukherjee ghosh sen pillai menon verma mishra
  pandey yadav thakur jain saxena ocampo aquino dizon manalo mercado soriano
  ahmed hassan hussein mohamed ibrahim khalil haddad nasser saleh mansour abbas aziz farah
  rahman hamid karim qureshi siddiqui chaudhry malik
  okafor okonkwo adeyemi mensah boateng diallo kamara traore nwosu okoro eze adebayo
  muller hoffmann schulz richter neumann schwarz zimmermann braun hartmann lange krause
  lehmann bernard dubois robert petit durand leroy moreau laurent lefebvre michel fournier
  girard bonnet dupont fontaine rousseau rossi russo ferrari esposito bianchi romano colombo
  ricci marino greco bruno gallo conti deluca costa giordano mancini rizzo lombardi moretti
  nowak kowalski wisniewski wojcik kowalczyk kaminski lewandowski zielinski szymanski wozniak
  byrne mcgrath ivanov smirnov kuznetsov popov petrov volkov sokolov lebedev kozlov novikov
  morozov andersson johansson karlsson nilsson eriksson larsson olsson persson johansen
  nielsen levy katz friedman goldberg rosenberg shapiro greenberg kaplan bernstein weinstein
  goldstein rubin stein jansen devries vandijk bakker visser smit meijer
  watanabe nakamura kobayashi saito fujita okamoto murakami ishii maeda fujii ogura endo
  aoki sakamoto kondo ueda morita hara shibata sakai kudo yokoyama miyazaki miyamoto uchida
  takeuchi nakajima nakano ono tamura kaneko wada ando ishida iwasaki hasegawa murata
  chung choe ryu yoo yu nam noh ha kwak seong cha baek heo yeo
  zhong lai wen qin yin tan chong goh teo lim koh ong yeo ang toh chia
  chaudhry chaudhary chowdhury choudhury bhatia sethi arora khanna kohli dutta sinha
  tiwari dubey shukla trivedi chauhan rathore rajput naidu shetty hegde kulkarni
  deshpande patil pawar jadhav shinde gaikwad kamath bhat prasad krishnan subramanian
  raman venkatesan srinivasan ramachandran balakrishnan narayanan gopalan
  raza rizvi hashmi naqvi jafri abbasi ansari sheikh shaikh mirza baig butt awan
  yilmaz kaya demir sahin celik yildiz yildirim ozturk aydin ozdemir arslan dogan kilic
  aslan cetin kara koc kurt ozkan simsek polat erdogan
  haddad khoury nassar saad hamdan darwish yassin barakat awad salem odeh
  mansour hakimi rahimi karimi ahmadi hosseini mohammadi rezaei moradi jafari
  okeke okonkwo okafor obi nwankwo eze chukwu ogunleye adeleke adewale olawale
  ogunbiyi oyelaran akinola babatunde balogun bankole oladipo oyewole
  asante owusu osei appiah agyeman amoah darko ofori annan
  kipchoge kiprop kiptoo cheruiyot mutua ochieng odhiambo otieno kamau njoroge
  wanjiku mwangi kariuki maina ndlovu dlamini nkosi khumalo zulu mokoena
  tesfaye bekele haile girma tadesse kebede alemu desta woldemariam gebremedhin
  santos reyes cruz bautista villanueva aquino mendoza garcia ramos castillo flores
  delacruz delosreyes delosantos macapagal magsaysay mabini pascual salvador
  dimaculangan panganiban lacson tolentino gatchalian sison manalastas
  kealoha kahale kamakana akana kahananui keawe kalama nakamoto kahale makoa
  kanahele kapaona kealamakia mahoe palakiko
  tupou fifita taufa vaipulu faleolo tuiasosopo leota sapolu
  konstantinou papadopoulos papadakis georgiou nikolaou dimitriou ioannou christodoulou
  pappas alexopoulos karagiannis vlahos economou
  kozlova ivanova petrova smirnova sokolova popova volkova kuznetsova novikova
  morozova pavlov pavlova fedorov fedorova orlov orlova lebedeva egorov
  shevchenko bondarenko kovalenko tkachenko kravchenko boyko melnyk kovalchuk
  horvath nagy toth szabo kovacs varga kiss molnar nemeth farkas balogh
  novak svoboda dvorak cerny prochazka kucera vesely horak
  jovanovic petrovic nikolic markovic djordjevic stojanovic ilic pavlovic
  popescu ionescu popa constantin stan dumitru
  schafer schaefer schaffer schmitt weber wagner becker klein wolf schroder neumann
  krause werner lange hahn vogel friedrich keller gunther jung walter fuchs
  dubois lefevre leroux fontaine chevalier gauthier mercier blanc garnier faure
  rousseau marchand lemaire
  jovic horvat kovac babic maric juric
  gonzales martins oliveira souza sousa pereira lima carvalho almeida ribeiro
  rodrigues alves nascimento araujo barbosa rocha dias teixeira moreira cardoso
  ferreira gomes costa
  leblanc thibodeaux boudreaux landry hebert guidry broussard arceneaux
  yazzie begay tsosie benally nez
`);

/**
 * First names that are also everyday words, months, places or UI verbs ("Will", "May", "Grace",
 * "Chase", "Austin"). Without a cue they only count before a surname that is not itself a word.
 */
export const COMMON_WORD_FIRST_NAMES: ReadonlySet<string> = wordSet(`
  will may june april august grace rose art bill mark chase hope joy faith page sky skye summer
  autumn winter dawn crystal amber ruby pearl ivy daisy lily holly iris violet hazel jade penny
  sunny destiny harmony melody trinity genesis heaven paris london brooklyn austin jordan israel
  miles max jack frank rich rob pat sue don guy drew dean gene chance hunter mason carter parker
  cooper taylor bishop king angel christian major royal justice sage river ocean storm rain
  star journey harley mercedes gray grey rusty buddy sonny sandy misty cliff glen rocky stone
  wade lance lane ray bob rod matt bud duke earl reed price sol ash brook brooke cash nova
  aurora eden haven serenity victoria charlotte madison florence sofia savannah lincoln houston
  jan van ed ty al jo kai jean autumn willow quinn grant sterling ember reese bailey kennedy
  everly harper piper ariel phoenix emery avery riley camden dallas denver dakota carolina
  virginia georgia china india kelly london marie ana lucia eva norman homer
  aster romeo moana maxim roman milan petra ole lei mele koa manu lupita rosario
`);

/**
 * Surnames that are also everyday words or colours ("Brown", "Hill", "King"). Without a cue they
 * need a dictionary first name before them, and that first name must not be a word itself.
 */
export const COMMON_WORD_SURNAMES: ReadonlySet<string> = wordSet(`
  brown white green young king hill long black gray grey rose page price cook bell ward wood
  stone hunter baker carter mason hall lane park chase west love may day bush little short rich
  sharp cross hart fox wolf lamb hood ball bond marsh banks wells fields golden savage person
  frank french miles rice rivers woods house moon song sun ma he do so ho le ye ko oh son
  guy gill ray bishop potter fisher farmer turner walker parker cooper porter taylor summers
  flowers powers brooks hunt mills stokes grant clay tanner sawyer church street small best
  strong case glass pope power hope joy free good holmes knight steele sparks nash drake
  cannon booth marks wise hale holt head post roman paul james george henry young wall law
  ha cha tan yin chia butt salem salvador lima costa kiss blanc garnier zulu stan kurt
`);
