from django.shortcuts import redirect


def home(request):
    """Staff land in their inbox, everyone else in the help center."""
    if request.user.is_authenticated and request.user.is_staff_member:
        return redirect("tickets:inbox")
    return redirect("knowledge:home")
