"""Cheap, plausible texts: prompts, model answers and free-text survey fields from word lists.

Texts only need realistic lengths, languages and character sets (non-ASCII for the escaping
path); nobody reads them. Answers are built from a pool of pre-made sentences because joining a
handful of strings per answer is what keeps full scale (about 38 MB of answers) fast.
"""

from __future__ import annotations

import numpy as np


def _split(text: str, sep: str | None = None) -> tuple[str, ...]:
    """Word lists are kept as prose-like strings so they stay readable."""
    return tuple(text.split(sep))


_EN_NOUNS = _split(
    "climate change, immigration, healthcare, education, democracy, privacy, the economy, "
    "inflation, social media, artificial intelligence, religion, abortion, gun control, taxes, "
    "free speech, the environment, poverty, housing, family, friendship, work, retirement, "
    "mental health, exercise, diet, travel, music, history, science, technology, culture, art, "
    "language, children, parents, marriage, money, the future, vaccines, energy, nuclear power, "
    "electric cars, public transport, cities, farming, animals, pets, football, cooking, books, "
    "movies, games, holidays, politics, elections, the law, police, prisons, war, peace, "
    "refugees, charity, volunteering, universities, teachers, students, doctors, nurses, "
    "the government, small businesses, the internet, smartphones, sleep, stress, happiness",
    ", ",
)
_EN_WORDS = _split(
    "the a an and or but because so if when while although however therefore also very "
    "really quite often sometimes always never usually many most some few every each other "
    "people person community society country world city home family friend group individual "
    "life time year day way thing problem question answer idea opinion view perspective value "
    "belief reason example case fact evidence study research result effect impact change "
    "important different possible difficult common simple complex useful healthy fair safe "
    "good better best bad new old long short high low large small local global public private "
    "is are was were be been can could should would might may will must do does did have has "
    "think believe feel know understand consider suggest recommend help support explain "
    "discuss improve reduce increase provide create make take give find keep learn share "
    "respect care protect choose allow need want use work live grow build balance"
)
_EN_QUESTION_OPENERS = (
    "What do you think about",
    "Can you tell me about",
    "How should we deal with",
    "Why do people disagree about",
    "What is your opinion on",
    "Is it right to worry about",
    "Explain to me",
    "Give me advice on",
    "How can I learn more about",
    "What are the pros and cons of",
    "Should governments regulate",
    "Tell me a story about",
)
_SHORT_PROMPTS = (
    "hi",
    "Hello",
    "hello",
    "Hi",
    "why?",
    "Thank you",
    "thanks",
    "ok",
    "Tell me more",
    "What do you mean?",
    "Can you explain?",
    "I agree",
    "Why not?",
    "What is love?",
    "How are you?",
    "Are you sentient?",
)
_FOREIGN: dict[str, tuple[str, ...]] = {
    "es": _split(
        "el la los las un una y o pero porque cuando también muy siempre nunca gente país "
        "mundo ciudad familia amigo vida tiempo año día problema pregunta respuesta idea "
        "opinión razón ejemplo cambio importante difícil fácil bueno mejor nuevo viejo grande "
        "pequeño es son puede debería creo pienso sé ayuda explicar niños educación salud "
        "política economía religión derechos mujeres trabajo dinero corazón pequeña año "
        "señor niño mañana canción"
    ),
    "fr": _split(
        "le la les un une et ou mais parce que quand aussi très toujours jamais gens pays "
        "monde ville famille ami vie temps année jour problème question réponse idée avis "
        "raison exemple changement important difficile facile bon meilleur nouveau grand petit "
        "est sont peut devrait je pense sais aide expliquer enfants éducation santé "
        "politique économie religion droits travail argent"
    ),
    "de": _split(
        "der die das ein eine und oder aber weil wenn auch sehr immer nie Leute Land Welt "
        "Stadt Familie Freund Leben Zeit Jahr Tag Problem Frage Antwort Idee Meinung Grund "
        "Beispiel Veränderung wichtig schwierig einfach gut besser neu alt groß klein ist "
        "sind kann sollte ich denke weiß Hilfe erklären Kinder Bildung Gesundheit Politik "
        "Wirtschaft Religion Rechte Arbeit Geld Größe über für"
    ),
    "it": _split(
        "il la gli un una e o ma perché quando anche molto sempre mai gente paese mondo "
        "città famiglia amico vita tempo anno giorno problema domanda risposta idea opinione "
        "ragione esempio cambiamento importante difficile facile buono migliore nuovo grande "
        "piccolo è sono può dovrebbe penso so aiuto spiegare bambini salute politica lavoro"
    ),
    "pt": _split(
        "o a os as um uma e ou mas porque quando também muito sempre nunca pessoas país "
        "mundo cidade família amigo vida tempo ano dia problema pergunta resposta ideia "
        "opinião razão exemplo mudança importante difícil fácil bom melhor novo grande "
        "pequeno é são pode deveria acho sei ajuda explicar crianças educação saúde "
        "política economia religião direitos trabalho dinheiro não coração"
    ),
    "nl": _split(
        "de het een en of maar omdat wanneer ook heel altijd nooit mensen land wereld stad "
        "familie vriend leven tijd jaar dag probleem vraag antwoord idee mening reden "
        "voorbeeld verandering belangrijk moeilijk makkelijk goed beter nieuw groot klein is "
        "zijn kan zou ik denk weet hulp uitleggen kinderen onderwijs gezondheid politiek"
    ),
    "pl": _split(
        "i lub ale ponieważ kiedy także bardzo zawsze nigdy ludzie kraj świat miasto rodzina "
        "przyjaciel życie czas rok dzień problem pytanie odpowiedź pomysł opinia powód "
        "przykład zmiana ważny trudny łatwy dobry lepszy nowy duży mały jest są może "
        "powinien myślę wiem pomoc wyjaśnić dzieci edukacja zdrowie polityka praca"
    ),
    "da": _split(
        "den det en et og eller men fordi når også meget altid aldrig folk land verden by "
        "familie ven liv tid år dag problem spørgsmål svar idé mening grund eksempel "
        "forandring vigtig svær nem god bedre ny stor lille er kan burde jeg tror ved hjælp "
        "forklare børn uddannelse sundhed politik arbejde penge"
    ),
}
FOREIGN_LANGUAGES: tuple[str, ...] = tuple(_FOREIGN)

SENTENCE_POOL = 6000


def _sentence(rng: np.random.Generator, words: tuple[str, ...], n_words: int, end: str) -> str:
    picked = [words[i] for i in rng.integers(0, len(words), n_words)]
    picked[0] = picked[0][:1].upper() + picked[0][1:]
    return " ".join(picked) + end


class TextFactory:
    """Builds every text of one run from one random stream, so output is seed-deterministic."""

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        en_words = _EN_WORDS + tuple(w for n in _EN_NOUNS for w in n.split())
        self._words: dict[str, tuple[str, ...]] = {"en": en_words, **_FOREIGN}
        self._pools: dict[str, list[str]] = {}

    def _pool(self, lang: str) -> list[str]:
        if lang not in self._pools:
            size = SENTENCE_POOL if lang == "en" else SENTENCE_POOL // 10
            lengths = self._rng.integers(6, 25, size)
            ends = self._rng.choice([".", ".", ".", "!", ":"], size)
            words = self._words[lang]
            self._pools[lang] = [
                _sentence(self._rng, words, int(k), str(e))
                for k, e in zip(lengths, ends, strict=True)
            ]
        return self._pools[lang]

    def answers(self, langs: np.ndarray) -> list[str]:
        """Model answers: mean about 565 characters, long right tail (max near 4,600)."""
        rng = self._rng
        n_sentences = np.clip(np.round(rng.lognormal(1.52, 0.62, len(langs))), 1, 45).astype(int)
        out: list[str] = []
        for lang, k in zip(langs.tolist(), n_sentences.tolist(), strict=True):
            pool = self._pool(lang)
            idx = rng.integers(0, len(pool), k)
            out.append(" ".join(pool[i] for i in idx))
        return out

    def prompts(self, langs: np.ndarray, p_short: float) -> list[str]:
        """User prompts: mean about 66 characters; a share reuse stock short prompts ('hi')."""
        rng = self._rng
        n = len(langs)
        n_words = np.clip(np.round(rng.lognormal(2.08, 0.75, n)), 1, 220).astype(int)
        use_short = rng.random(n) < p_short
        style = rng.integers(0, 3, n)
        short_pick = rng.integers(0, len(_SHORT_PROMPTS), n)
        opener_pick = rng.integers(0, len(_EN_QUESTION_OPENERS), n)
        noun_pick = rng.integers(0, len(_EN_NOUNS), n)
        out: list[str] = []
        for i, lang in enumerate(langs.tolist()):
            words = self._words[lang]
            if lang == "en" and use_short[i]:
                out.append(_SHORT_PROMPTS[short_pick[i]])
            elif lang == "en" and style[i] == 0:
                head = f"{_EN_QUESTION_OPENERS[opener_pick[i]]} {_EN_NOUNS[noun_pick[i]]}"
                tail = _sentence(rng, words, max(1, n_words[i] - 5), "?").lower()
                out.append(f"{head}, {tail}")
            elif lang == "es" and style[i] == 0:
                out.append("\u00bf" + _sentence(rng, words, int(n_words[i]), "?"))
            else:
                out.append(_sentence(rng, words, int(n_words[i]), "?" if style[i] else "."))
        return out

    def free_texts(self, n: int, log_mean: float, log_sd: float, max_words: int) -> list[str]:
        """Survey and feedback free text in English, sized by a log-normal word count."""
        rng = self._rng
        n_words = np.clip(np.round(rng.lognormal(log_mean, log_sd, n)), 1, max_words).astype(int)
        words = self._words["en"]
        return [_sentence(rng, words, int(k), ".") for k in n_words]
