"""The vocabulary of the synthetic salons: services, names, timezones, staff.

Titles are real Russian service names as salons type them, including the ones that trip naive
keyword matching (men's vs women's haircut, gel polish vs plain manicure, "ногтей" vs "ног",
upper case, multi-word titles and titles no industry keyword matches).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceSpec:
    title: str
    typical_days: int  # the salon-typical return rhythm before per-salon variation
    category: str
    price_min: int
    price_max: int
    duration_minutes: int
    audience: str  # "male", "female" or "any"
    popularity: float  # relative weight when a client picks a favourite service
    kinds: tuple[str, ...]  # salon kinds that offer it


_BARBER = ("barbershop",)
_BEAUTY = ("beauty",)
_NAILS = ("nails", "beauty")
_ANY = ("barbershop", "beauty")

SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec("Мужская стрижка", 28, "Стрижки", 1200, 1800, 45, "male", 5.0, _ANY),
    ServiceSpec("МУЖСКАЯ СТРИЖКА", 28, "Стрижки", 1500, 2000, 60, "male", 2.0, _BARBER),
    ServiceSpec("Стрижка мужская машинкой", 21, "Стрижки", 800, 1000, 30, "male", 2.0, _BARBER),
    ServiceSpec(
        "Стрижка + моделирование бороды", 28, "Комплекс", 2200, 2800, 75, "male", 2.0, _BARBER
    ),
    ServiceSpec("Моделирование бороды", 21, "Борода", 900, 1200, 30, "male", 1.5, _BARBER),
    ServiceSpec("Окантовка бороды", 14, "Борода", 500, 700, 20, "male", 0.8, _BARBER),
    ServiceSpec("Детская стрижка", 35, "Стрижки", 700, 900, 30, "any", 0.6, _ANY),
    ServiceSpec("Женская стрижка", 42, "Стрижки", 1800, 3500, 60, "female", 4.0, _BEAUTY),
    ServiceSpec(
        "Стрижка женская (короткие волосы)", 35, "Стрижки", 1600, 2500, 60, "female", 1.5, _BEAUTY
    ),
    ServiceSpec(
        "Окрашивание волос в один тон", 50, "Окрашивание", 3500, 7000, 120, "female", 2.0, _BEAUTY
    ),
    ServiceSpec(
        "Сложное окрашивание (балаяж)", 90, "Окрашивание", 8000, 15000, 240, "female", 0.8, _BEAUTY
    ),
    ServiceSpec("Ботокс для волос", 45, "Уход", 3000, 5000, 90, "female", 0.6, _BEAUTY),
    ServiceSpec(
        "Наращивание волос (коррекция)", 60, "Уход", 6000, 12000, 180, "female", 0.3, _BEAUTY
    ),
    ServiceSpec("Маникюр с покрытием гель-лак", 21, "Ногти", 1800, 2500, 90, "female", 5.0, _NAILS),
    ServiceSpec("Маникюр гель-лак", 21, "Ногти", 1700, 2300, 90, "female", 2.0, ("nails",)),
    ServiceSpec("Маникюр классический", 14, "Ногти", 900, 1200, 45, "female", 2.0, _NAILS),
    ServiceSpec("Наращивание ногтей", 21, "Ногти", 2500, 3500, 150, "female", 1.0, ("nails",)),
    ServiceSpec(
        "Коррекция наращенных ногтей", 21, "Ногти", 2000, 2800, 120, "female", 1.0, ("nails",)
    ),
    ServiceSpec("Педикюр аппаратный", 30, "Ногти", 2200, 3000, 75, "female", 2.0, _NAILS),
    ServiceSpec("Педикюр", 30, "Ногти", 2000, 2800, 75, "any", 1.0, ("nails",)),
    ServiceSpec(
        "Чистка лица ультразвуковая", 28, "Косметология", 2500, 3500, 60, "female", 0.8, _BEAUTY
    ),
    ServiceSpec("Массаж лица", 14, "Косметология", 1500, 2000, 45, "female", 0.6, _BEAUTY),
    ServiceSpec("Пилинг лица", 21, "Косметология", 2000, 3000, 45, "female", 0.5, _BEAUTY),
    ServiceSpec("Эпиляция ног полностью", 35, "Эпиляция", 2500, 3500, 60, "female", 0.7, _BEAUTY),
    ServiceSpec(
        "Шугаринг: глубокое бикини", 28, "Эпиляция", 2000, 2800, 45, "female", 0.7, _BEAUTY
    ),
    ServiceSpec("Эпиляция подмышек", 21, "Эпиляция", 800, 1000, 20, "female", 0.5, _BEAUTY),
    ServiceSpec(
        "Ламинирование ресниц", 42, "Брови и ресницы", 2000, 2500, 60, "female", 1.0, _BEAUTY
    ),
    ServiceSpec(
        "Коррекция и окрашивание бровей",
        28,
        "Брови и ресницы",
        900,
        1300,
        40,
        "female",
        1.2,
        ("beauty", "nails"),
    ),
    ServiceSpec("Укладка вечерняя", 60, "Укладки", 1500, 3000, 60, "female", 0.2, _BEAUTY),
    ServiceSpec("Камуфляж седины", 30, "Окрашивание", 1000, 1500, 30, "male", 0.5, _BARBER),
)

# Add-ons booked in the same record as a main service (multi-service records).
ADD_ONS = {
    "male": ("Моделирование бороды", "Окантовка бороды", "Камуфляж седины"),
    "female": ("Коррекция и окрашивание бровей", "Массаж лица", "Маникюр классический"),
}

SALON_KINDS = (("barbershop", 0.3), ("beauty", 0.5), ("nails", 0.2))
FEMALE_SHARE = {"barbershop": 0.05, "beauty": 0.8, "nails": 0.95}

TIMEZONES = (
    ("Europe/Moscow", 0.55),
    ("Europe/Kaliningrad", 0.05),
    ("Europe/Samara", 0.08),
    ("Asia/Yekaterinburg", 0.12),
    ("Asia/Novosibirsk", 0.08),
    ("Asia/Krasnoyarsk", 0.05),
    ("Asia/Vladivostok", 0.07),
)

SALON_NAMES = {
    "barbershop": ("Барбершоп «Борода»", "Барбершоп «Топор»", "OldBoy", "Barber Club"),
    "beauty": (
        "Салон «Шарм»",
        "Салон красоты «Лиса»",
        "Beauty Lab",
        "Салон «Мята»",
        "Салон «Аура»",
        "Салон «Вишня»",
    ),
    "nails": ("Студия «Ногти & Кофе»", "Студия маникюра «Пальчики»", "Nail Bar"),
}

MALE_NAMES = (
    "Александр",
    "Дмитрий",
    "Максим",
    "Сергей",
    "Андрей",
    "Алексей",
    "Артём",
    "Илья",
    "Кирилл",
    "Михаил",
    "Никита",
    "Матвей",
    "Роман",
    "Егор",
    "Иван",
    "Павел",
    "Тимур",
    "Руслан",
    "Олег",
    "Денис",
    "Владимир",
    "Евгений",
    "Георгий",
    "Константин",
)
FEMALE_NAMES = (
    "Анастасия",
    "Мария",
    "Анна",
    "Екатерина",
    "Дарья",
    "Ольга",
    "Елена",
    "Наталья",
    "Ксения",
    "Юлия",
    "Татьяна",
    "Полина",
    "Виктория",
    "Алина",
    "Светлана",
    "Ирина",
    "Софья",
    "Вероника",
    "Марина",
    "Алёна",
    "Кристина",
    "Валерия",
    "Евгения",
    "Людмила",
)
SURNAMES = (
    "Иванов",
    "Смирнов",
    "Кузнецов",
    "Попов",
    "Васильев",
    "Петров",
    "Соколов",
    "Михайлов",
    "Новиков",
    "Федоров",
    "Морозов",
    "Волков",
    "Алексеев",
    "Лебедев",
    "Семенов",
    "Егоров",
    "Павлов",
    "Козлов",
    "Степанов",
    "Николаев",
    "Орлов",
    "Андреев",
    "Макаров",
    "Никитин",
)
# Names a message must not address the client by: the CRM holds whatever the admin typed.
UNUSABLE_NAMES = (
    "Клиент",
    "",
    "Без имени",
    "ООО Ромашка",
    "test",
    "+79990000000",
    "Иван (муж Марии)",
    "Анна 🌸",
    "мама Кати",
    "VIP",
    "Постоянный клиент",
    "???",
)

STAFF_SPECIALIZATIONS = {
    "barbershop": ("барбер", "топ-барбер", "барбер-стажёр"),
    "beauty": ("парикмахер-стилист", "колорист", "мастер маникюра", "косметолог", "бровист"),
    "nails": ("мастер маникюра", "мастер педикюра", "топ-мастер"),
}

BOT_COMMENT = "Записан через AI администратора (WhatsApp)"
ADMIN_COMMENTS = ("", "", "", "", "просила к тому же мастеру", "опаздывает на 10 мин", "VIP")
