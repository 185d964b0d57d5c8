"""Training given in the room: sessions planned by trainers, attendance sheets, paper-quiz scores
recorded on a phone (offline too), and the in-person completions they lead to."""
